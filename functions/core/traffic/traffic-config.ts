import * as z from 'zod/mini';
import { severitySchema } from '../rules/rule-schema';
import '../zod-locale';

/**
 * `trafficRules`: the rules that judge how many calls a trunk makes and what they cost, against
 * a baseline learnt from the calls the poller lists (functions/core/traffic/). Every threshold
 * is bounded so that it can fire and can clear; the cross-field checks (a window against the
 * settle time, a recovery against its threshold) are in the schema's refinement below.
 */

const minutes = (min: number, max: number, fallback: number) =>
  z._default(z.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback);

/** A per-hour cap: absent (no cap) or a positive number. */
const cap = () =>
  z.optional(
    z.number().check(
      z.refine((n) => Number.isFinite(n) && n > 0, {
        message: 'a cap must be a positive number (leave the field out for no cap)',
      }),
    ),
  );

/** The fields every traffic rule has. */
const common = (severity: 'critical' | 'warning', windowMinutes: number, forMinutes: number) => ({
  enabled: z._default(z.boolean(), true),
  /** Fires once the rule has breached on every run for this long (0: the first breach). */
  forMinutes: minutes(0, 60, forMinutes),
  severity: z._default(severitySchema, severity),
  /** Calls judged together: buckets of 5 minutes, so a multiple of 5. */
  windowMinutes: z._default(
    z.number().check(
      z.int(),
      z.minimum(10),
      z.maximum(6 * 60),
      z.refine((n) => n % 5 === 0, {
        message: 'must be a multiple of 5 (calls are counted in 5-minute buckets)',
      }),
    ),
    windowMinutes,
  ),
});

const dropFields = {
  /** Fires when a window's calls fall to this share of what the weekly baseline expects (0.5: half). */
  share: z._default(z.number().check(z.gt(0), z.lt(1)), 0.5),
  /** The share before a week of history exists (the baseline is then the last hours' average): stricter. */
  earlyShare: z._default(z.number().check(z.gt(0), z.lt(1)), 0.2),
  /** Clears once a window holds at least this share of the expected calls again. */
  recoveryShare: z._default(z.number().check(z.gt(0), z.maximum(1)), 0.7),
  /** Windows expected to hold fewer calls are not judged: nights and quiet trunks never page. */
  minExpectedCalls: z._default(
    z.number().check(
      z.int(),
      z.minimum(10, {
        error:
          'must be at least 10: below that, no count of calls is far enough under the expected (3 standard deviations) to tell a drop from chance, so the rule could never fire',
      }),
      z.maximum(1_000_000),
    ),
    20,
  ),
  /** A trunk without a call for this long is forgotten by the rule (decommissioned, not down). */
  /** At most 30: a forgotten trunk's items expire 35 days after their last write. */
  forgetAfterDays: minutes(1, 30, 7),
};

const surgeFields = {
  /** Fires when a window's outbound calls reach this multiple of the expected. */
  multiple: z._default(z.number().check(z.gt(1), z.maximum(1000)), 3),
  /** ... and at least this many calls (a quiet trunk's 2 calls instead of 0.5 are no surge). */
  minCalls: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1_000_000)), 30),
  /** Fires whatever the baseline once outbound calls in the last 60 minutes reach this. */
  maxCallsPerHour: cap(),
};

const spendFields = {
  /** Fires when a window's outbound spend (sum of total_amount, USD) reaches this multiple of the expected. */
  multiple: z._default(z.number().check(z.gt(1), z.maximum(1000)), 3),
  /** ... and at least this much (USD in the window). */
  minSpend: z._default(z.number().check(z.gt(0), z.maximum(1_000_000)), 10),
  /** Fires whatever the baseline once outbound spend in the last 60 minutes reaches this (USD). */
  maxSpendPerHour: cap(),
};

const destinationFields = {
  /** Fires at this many outbound calls to one new country within the window. */
  minCalls: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(10_000)), 3),
  /** A country the trunk called within this many days is not new. */
  lookbackDays: minutes(1, 90, 30),
  /** The trunk's history must be at least this long before any country can be new. */
  minHistoryDays: minutes(1, 90, 7),
};

/**
 * A traffic override's scope: trunks only. The rules judge a trunk (or the account), never a
 * call, so a scope by country or direction could match nothing: refused, not ignored.
 */
const trunkScope = z.strictObject(
  {
    trunkDomains: z
      .array(z.string().check(z.minLength(1)), {
        error: 'an override needs a scope: trunkDomains, a list of trunk domains',
      })
      .check(z.minLength(1)),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `a traffic rule's override is scoped by trunk only (trunkDomains): it judges a trunk's calls together, not one call by its ${issue.keys.join(', ')}`
        : undefined,
  },
);

/** An override: a scope (the trunk) and any of the rule's own fields. */
const overridesOf = <F extends z.core.$ZodLooseShape>(fields: F) =>
  z._default(
    z.array(
      z.strictObject({
        scope: trunkScope,
        enabled: z.optional(z.boolean()),
        severity: z.optional(severitySchema),
        ...(Object.fromEntries(
          Object.entries(fields).map(([k, v]) => [k, z.optional(v as never)]),
        ) as unknown as {
          [K in keyof F]: z.ZodMiniOptional<F[K]>;
        }),
      }),
    ),
    [],
  );

const rule = <F extends z.core.$ZodLooseShape>(
  severity: 'critical' | 'warning',
  windowMinutes: number,
  forMinutes: number,
  fields: F,
) =>
  z.prefault(
    z.strictObject({
      ...common(severity, windowMinutes, forMinutes),
      ...fields,
      overrides: overridesOf(fields),
    }),
    {} as never,
  );

export const trafficRulesSchema = z
  .prefault(
    z.strictObject({
      /**
       * The newest minutes are incomplete (CDRs are written late): traffic-drop judges only
       * buckets older than the settle time, measured as the age by which 99 % of recent calls
       * had been listed, kept within [minMinutes, maxMinutes]. maxMinutes is also what is used
       * until enough calls were seen to measure it.
       */
      settle: z.prefault(
        z.strictObject({ minMinutes: minutes(1, 60, 2), maxMinutes: minutes(1, 60, 15) }),
        {},
      ),
      'traffic-drop': rule('critical', 15, 5, dropFields),
      'traffic-surge': rule('warning', 15, 0, surgeFields),
      spend: rule('critical', 15, 0, spendFields),
      'new-destination': rule('critical', 60, 0, destinationFields),
    }),
    {},
  )
  .check(
    z.superRefine((t, ctx) => {
      if (t.settle.minMinutes > t.settle.maxMinutes) {
        ctx.addIssue({
          code: 'custom',
          path: ['settle', 'minMinutes'],
          message: `must not exceed settle.maxMinutes (${t.settle.maxMinutes})`,
        });
      }
      const drop = t['traffic-drop'];
      const drops = [drop, ...drop.overrides.map((o) => ({ ...drop, ...defined(o) }))];
      drops.forEach((d, i) => {
        const path = i === 0 ? ['traffic-drop'] : ['traffic-drop', 'overrides', i - 1];
        if (d.recoveryShare <= d.share) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'recoveryShare'],
            message: `must be above share (${d.share}): a drop would clear in the same window that fired it, and flap (recoveryShare is ${d.recoveryShare}, 0.7 unless set: raise it with share)`,
          });
        }
        if (d.earlyShare > d.share) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'earlyShare'],
            message: `must not exceed share (${d.share}): before a week of history the baseline is rougher, so the rule is stricter, not looser`,
          });
        }
      });
      for (const id of ['traffic-surge', 'spend'] as const) {
        if (t[id].windowMinutes < t.settle.maxMinutes) {
          ctx.addIssue({
            code: 'custom',
            path: [id, 'windowMinutes'],
            message: `must be at least settle.maxMinutes (${t.settle.maxMinutes}): a window shorter than the settle time is judged only on minutes whose late CDRs are still to come`,
          });
        }
      }
      if (drop.windowMinutes < t.settle.minMinutes) {
        ctx.addIssue({
          code: 'custom',
          path: ['traffic-drop', 'windowMinutes'],
          message: `must be at least settle.minMinutes (${t.settle.minMinutes})`,
        });
      }
    }),
  );

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type TrafficRulesConfig = z.infer<typeof trafficRulesSchema>;
export const TRAFFIC_RULE_IDS = ['traffic-drop', 'traffic-surge', 'spend', 'new-destination'] as const;
export type TrafficRuleId = (typeof TRAFFIC_RULE_IDS)[number];
