import * as z from 'zod/mini';
import { MATCHER_LISTS, orList, SCOPE_MATCHERS } from '../dimensions';
import '../zod-locale';

/**
 * The parts of the config schema every rule is built from: severity, scope, overrides and
 * the consistency check of a rule as each override changes it. The per-call rules' schemas are
 * built here from their descriptors (see define-rule.ts); functions/core/config/schema.ts
 * assembles them.
 */

export const severitySchema = z.enum(['critical', 'warning', 'info']);
export type Severity = z.infer<typeof severitySchema>;

/** Limits which calls a rule looks at. Every list given must match; an absent list matches all. */
export const scopeSchema = z
  .strictObject(
    Object.fromEntries(SCOPE_MATCHERS.map((m) => [m.key, MATCHER_LISTS[m.key]])) as typeof MATCHER_LISTS,
  )
  .register(z.globalRegistry, {
    description: 'Which calls the rule applies to; omit a list to match every call.',
  });
export type Scope = z.infer<typeof scopeSchema>;

/** Which calls (or groups) an override applies to: it must name at least one list. */
export const overrideScope = scopeSchema.check(
  z.refine((scope) => Object.keys(scope).length > 0, {
    message: `an override needs a scope: ${orList(SCOPE_MATCHERS.map((m) => m.key))}`,
  }),
);

/** One field of a rule: its schema and its default (an override may set it, optionally). */
export interface RuleField<T extends z.core.$ZodType = z.core.$ZodType> {
  schema: T;
  default: z.output<T>;
  /** How the docs show the default ("0.9 %"); default: the value. */
  shown?: string;
}

export function field<T extends z.core.$ZodType>(
  schema: T,
  value: z.output<T>,
  shown?: string,
): RuleField<T> {
  return { schema, default: value, ...(shown === undefined ? {} : { shown }) };
}

export type RuleFields = Record<string, RuleField>;

/** The settings a rule reads for one call: its own, an override applied. */
export type SettingsOf<F extends RuleFields> = {
  enabled: boolean;
  scope: Scope;
  severity: Severity;
} & { [K in keyof F]: z.output<F[K]['schema']> };

/** A problem a rule's settings have together ("criticalBelow must not be above below"). */
export type Consistency<F extends RuleFields> = (
  settings: SettingsOf<F>,
) => { path: keyof F & string; message: string } | null;

// Built once and shared by every rule (each schema object costs start-up time).
const enabledOn = z._default(z.boolean(), true);
const enabledOff = z._default(z.boolean(), false);
const scopeAll = z._default(scopeSchema, {});
const severities = new Map<Severity, z.ZodMiniDefault<typeof severitySchema>>();
const OVERRIDES_DESCRIPTION =
  "Changes for some calls only: the first override whose scope matches applies; omitted fields keep the rule's value.";

function severityDefault(severity: Severity) {
  let schema = severities.get(severity);
  if (!schema) {
    schema = z._default(severitySchema, severity);
    severities.set(severity, schema);
  }
  return schema;
}

type Defaults<F extends RuleFields> = { [K in keyof F]: z.ZodMiniDefault<F[K]['schema']> };
type Optionals<F extends RuleFields> = { [K in keyof F]: z.ZodMiniOptional<F[K]['schema']> };

function mapFields<F extends RuleFields, T>(fields: F, to: (f: RuleField) => T): { [K in keyof F]: T } {
  return Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, to(f)])) as {
    [K in keyof F]: T;
  };
}

/**
 * A per-call rule's config: `enabled`, `scope`, `severity`, its own fields with their
 * defaults, and `overrides` (per-trunk / per-country / per-direction changes: the first whose
 * scope matches a call applies, a field it leaves out keeps the rule's value). With a
 * consistency check, the rule is checked as written and as each override changes it.
 */
export function ruleSchema<F extends RuleFields>(spec: {
  enabled: boolean;
  severity: Severity;
  fields: F;
  check?: Consistency<F>;
}) {
  const object = z.strictObject({
    enabled: spec.enabled ? enabledOn : enabledOff,
    scope: scopeAll,
    severity: severityDefault(spec.severity),
    ...(mapFields(spec.fields, (f) => z._default(f.schema, f.default as never)) as Defaults<F>),
    overrides: z
      ._default(
        z.array(
          z.strictObject({
            scope: overrideScope,
            enabled: z.optional(z.boolean()),
            severity: z.optional(severitySchema),
            ...(mapFields(spec.fields, (f) => z.optional(f.schema)) as Optionals<F>),
          }),
        ),
        [],
      )
      .register(z.globalRegistry, { description: OVERRIDES_DESCRIPTION }),
  });
  const schema = z.prefault(object, {} as never);
  const { check } = spec;
  return check ? schema.check(z.superRefine(checkMerged(check) as never)) : schema;
}

/** A rule's own consistency check, applied to the rule and to it as each override changes it. */
function checkMerged<F extends RuleFields>(check: Consistency<F>) {
  return (rule: { overrides: object[] }, ctx: z.core.$RefinementCtx) => {
    const { overrides, ...base } = rule;
    const candidates: Array<{ at: PropertyKey[]; merged: object }> = [{ at: [], merged: base }];
    overrides.forEach((override, i) => {
      const defined = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined));
      candidates.push({ at: ['overrides', i], merged: { ...base, ...defined } });
    });
    for (const { at, merged } of candidates) {
      const problem = check(merged as SettingsOf<F>);
      if (problem) ctx.addIssue({ code: 'custom', path: [...at, problem.path], message: problem.message });
    }
  };
}

/** Field types several rules share. */
export const qualityScore = z.number().check(z.gt(1), z.lte(5));
export const percent = z.number().check(z.gt(0), z.lte(100));
export const milliseconds = z.number().check(z.gt(0));
