import type { Call, CallInsights, EvaluatedCall } from '../call';
import type { Comparison, Finding, SeverityLevels } from '../finding';
import { describeScope, ruleFor } from './overrides';
import {
  type Consistency,
  type RuleFields,
  ruleSchema,
  type Scope,
  type SettingsOf,
  type Severity,
} from './rule-schema';
import { inScope } from './scope';

/**
 * One per-call rule, whole: its config (fields, defaults, on or off), what it needs, how it
 * judges a call, how `explain` describes its verdict, its windowed counterpart, its row in
 * docs/rules.md and a call that trips it. Each rule is one module exporting one of these,
 * listed once in registry.ts; the config schema, the evaluation, explain, backtest, the
 * sandbox's expectations and the docs all read the registry.
 */
export interface RuleDescriptor<Id extends string = string, F extends RuleFields = RuleFields> {
  id: Id;
  /** 'cdr': judged on the CDR alone; 'insights': once the call's Insights are known. */
  kind: 'cdr' | 'insights';
  needsInsights: boolean;
  /** Whether a config that says nothing about the rule turns it on. */
  enabledByDefault: boolean;
  /** The default severity; `escalates`: a second level makes it critical. */
  severity: Severity;
  escalates: boolean;
  fields: F;
  /** The rule's config schema (rules.<id>). */
  schema: ReturnType<typeof ruleSchema<F>>;
  /** The finding for one call, or null; the rule's settings as overridden for the call. */
  evaluate(subject: EvaluatedCall, config: RulesConfigOf): Finding | null;
  /** What explain shows: the value read, the thresholds in force, why it stayed quiet. */
  describe(subject: EvaluatedCall, config: RulesConfigOf): Described;
  /** The windowed rule that judges the same thing per group, if any. */
  windowed: string | null;
  docs: RuleDocs;
  /** A call that trips the rule (on top of a healthy call): the registry's tests run it everywhere. */
  example: { call?: Partial<Call>; insights?: Partial<CallInsights> };
}

export interface Described {
  value: string;
  thresholds: string;
  /** Why it did not fire, when it is in scope, enabled and has its data. */
  quiet: string;
}

export interface RuleDocs {
  /** "fires when", in docs/rules.md (the defaults come from the fields). */
  firesWhen: string;
}

/** What the evaluation reads of the config: its rules (the whole AlertConfig passes). */
export interface RulesConfigOf {
  rules: object;
}

type Base<Id extends string, F extends RuleFields> = {
  id: Id;
  severity: Severity;
  /** Default true: a rule shipped off says `enabled: false` and nothing else. */
  enabled?: boolean;
  fields: F;
  check?: Consistency<F>;
  windowed?: string;
  docs: RuleDocs;
  example: RuleDescriptor['example'];
};

/** A rule's settings for one call, and the override that applied (null: its own). */
function settingsFor<F extends RuleFields>(
  config: RulesConfigOf,
  id: string,
  call: Call,
): SettingsOf<F> & { override: Scope | null } {
  return ruleFor(config as never, id as never, call) as unknown as SettingsOf<F> & {
    override: Scope | null;
  };
}

/** Formats a number as alerts show it: integers as they are, others to two decimals. */
export const formatNumber = (value: number): string =>
  Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));

/** What a CDR-only rule says about a call that trips it. */
export interface CdrVerdict {
  headline: string;
  measured: Finding['measured'];
  threshold: Finding['threshold'];
  nextSteps: string[];
}

/**
 * A rule judged on the CDR alone (it never waits for Insights): `fires` says whether a call in
 * the rule's scope, with the rule on, trips it; the scope, the overrides, the severity and the
 * finding are the same for every such rule and are done here.
 */
export function cdrRule<const Id extends string, F extends RuleFields>(
  spec: Base<Id, F> & {
    fires(call: Call, settings: SettingsOf<F>): CdrVerdict | null;
    describe(call: Call, settings: SettingsOf<F>): Described;
  },
): RuleDescriptor<Id, F> {
  return {
    ...common(spec, 'cdr', false),
    evaluate({ call, insights }, config) {
      const r = settingsFor<F>(config, spec.id, call);
      if (!r.enabled || !inScope(call, r.scope)) return null;
      const verdict = spec.fires(call, r);
      if (!verdict) return null;
      return {
        ruleId: spec.id,
        severity: r.severity,
        headline: verdict.headline,
        measured: verdict.measured,
        threshold: verdict.threshold,
        call,
        insights,
        nextSteps: verdict.nextSteps,
        override: r.override ? describeScope(r.override) : null,
      };
    },
    describe: ({ call }, config) => spec.describe(call, settingsFor<F>(config, spec.id, call)),
  };
}

function common<Id extends string, F extends RuleFields>(
  spec: Base<Id, F>,
  kind: 'cdr' | 'insights',
  escalates: boolean,
) {
  const enabled = spec.enabled ?? true;
  return {
    id: spec.id,
    kind,
    needsInsights: kind === 'insights',
    enabledByDefault: enabled,
    severity: spec.severity,
    escalates,
    fields: spec.fields,
    schema: ruleSchema({
      enabled,
      severity: spec.severity,
      fields: spec.fields,
      ...(spec.check ? { check: spec.check } : {}),
    }),
    windowed: spec.windowed ?? null,
    docs: spec.docs,
    example: spec.example,
  };
}

function breaches(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    default:
      return false;
  }
}

/** "is below", said of a value that does not breach `comparison`. */
const NOT_BREACHING: Partial<Record<Comparison, string>> = {
  '<': 'is not below',
  '<=': 'is above',
  '>': 'is not above',
  '>=': 'is below',
};

/**
 * A rule on one metric of the call's Insights: it reads the metric, compares it with the
 * threshold from the settings and, for rules with a second level, escalates to critical.
 */
export function insightsRule<const Id extends string, F extends RuleFields>(
  spec: Base<Id, F> & {
    metric: string;
    /** How explain names the metric when the Insights lack it (default: metric). */
    noun?: string;
    unit: string;
    comparison: Comparison;
    read: (insights: CallInsights) => number | null;
    threshold: (settings: SettingsOf<F>) => number;
    /** The critical level, same comparison, for rules that have one. */
    critical?: (settings: SettingsOf<F>) => number;
    nextSteps: string[];
  },
): RuleDescriptor<Id, F> {
  const unitSuffix = spec.unit === '' ? '' : ` ${spec.unit}`;
  const shown = (value: number) => `${formatNumber(value)}${unitSuffix}`;
  return {
    ...common(spec, 'insights', spec.critical !== undefined),
    evaluate({ call, insights }, config) {
      const r = settingsFor<F>(config, spec.id, call);
      if (!r.enabled || insights === null || !inScope(call, r.scope)) return null;
      const value = spec.read(insights);
      if (value === null) return null;
      const threshold = spec.threshold(r);
      if (!breaches(value, spec.comparison, threshold)) return null;
      const level = (at: number) => ({ comparison: spec.comparison, value: at, unit: spec.unit });
      const critical = spec.critical?.(r);
      const levels: SeverityLevels | undefined =
        critical === undefined
          ? undefined
          : {
              fires: level(threshold),
              critical: level(critical),
              setBy: breaches(value, spec.comparison, critical) ? 'critical' : 'fires',
            };
      // The headline names the threshold that set the severity: "6.2 % >= 5 %" for a critical one.
      const named = levels?.setBy === 'critical' ? levels.critical.value : threshold;
      return {
        ruleId: spec.id,
        severity: levels?.setBy === 'critical' ? 'critical' : r.severity,
        headline: `${spec.metric} ${shown(value)} ${spec.comparison} ${shown(named)}`,
        measured: { metric: spec.metric, value, unit: spec.unit },
        threshold: { comparison: spec.comparison, value: threshold, unit: spec.unit },
        call,
        insights,
        nextSteps: spec.nextSteps,
        override: r.override ? describeScope(r.override) : null,
        ...(levels ? { levels } : {}),
      };
    },
    describe({ call, insights }, config) {
      const r = settingsFor<F>(config, spec.id, call);
      const value = insights === null ? null : spec.read(insights);
      const threshold = spec.threshold(r);
      const critical = spec.critical?.(r);
      return {
        value: value === null ? 'n/a' : shown(value),
        thresholds: `${spec.comparison} ${shown(threshold)}${critical === undefined ? '' : `, critical ${spec.comparison} ${shown(critical)}`}`,
        quiet:
          value === null
            ? `no ${spec.noun ?? spec.metric} in the insights`
            : `${shown(value)} ${NOT_BREACHING[spec.comparison]} ${shown(threshold)}`,
      };
    },
  };
}
