import * as z from 'zod/mini';
import { CALL_MATCHERS, GROUP_LABELS, MATCHER_LISTS, orList, WINDOW_LABELS } from '../dimensions';
import { type RegisteredRule, RULES } from '../rules/registry';
import { TRAFFIC_RULE_IDS, trafficRulesSchema } from '../traffic/traffic-config';
import { type RegisteredWindowedRule, WINDOWED_RULES } from '../windowed/registry';
import { overrideScope, type Severity, severitySchema } from '../rules/rule-schema';
import '../zod-locale';

/**
 * The single definition of zentrunk-alerts' configuration. TypeScript types, the runtime
 * start-up check, the synth-time check in `bin/` and the JSON Schema for editors
 * (`config/config.schema.json`) all come from here.
 */

export { severitySchema, type Severity, scopeSchema, type Scope } from '../rules/rule-schema';

/**
 * The schedule the run-counted fields were written for: 5 minutes, the shipped default while they
 * existed (it is 1 minute now). A replaced field's value is converted at it in its message.
 */
const SHIPPED_SCHEDULE_MINUTES = 5;

/**
 * A field that counted runs, replaced by one in minutes (see functions/core/schedule.ts). Given,
 * it is rejected, naming the replacement and what its value was at the shipped schedule: it is
 * not converted on load, because the conversion needs the schedule, which the function's config
 * does not carry (it is `deployment.scheduleMinutes`, set aside before the function sees the
 * config), and a value that meant one time at one schedule and another at the next is what the
 * minutes are there to end. `convert` turns the old value (anything the file held) into the
 * replacement's JSON at the shipped schedule.
 */
function replacedBy(replacement: string, convert: (old: unknown) => string) {
  return z
    .optional(
      z.never({
        error: (issue) =>
          `counted runs, so what it meant changed with the schedule: use ${replacement} (minutes) instead; at a ${SHIPPED_SCHEDULE_MINUTES}-minute schedule this value is ${convert(issue.input)} (scale by deployment.scheduleMinutes / ${SHIPPED_SCHEDULE_MINUTES} at another)`,
      }),
    )
    .register(z.globalRegistry, {
      description: `Removed: it counted runs. Use ${replacement}, in minutes.`,
      deprecated: true,
    });
}

/** A count of runs as minutes at the shipped schedule (an unusable value: the field's default). */
function runsAsMinutes(runs: unknown, fallback: number): number {
  const n = typeof runs === 'number' && Number.isFinite(runs) && runs > 0 ? runs : fallback;
  return Math.round(n * SHIPPED_SCHEDULE_MINUTES);
}

/** The per-call rules' settings, one entry per registered rule (functions/core/rules/registry.ts). */
const rulesSchema = z.strictObject(
  Object.fromEntries(RULES.map((rule) => [rule.id, rule.schema])) as {
    [R in RegisteredRule as R['id']]: R['schema'];
  },
);
export type RulesConfig = z.infer<typeof rulesSchema>;
export type RuleId = keyof RulesConfig;
export const RULE_IDS = Object.keys(rulesSchema.shape) as RuleId[];

const pollSchema = z.prefault(
  z.strictObject({
    /** How far back the very first run looks. Never the API's 30-day default. */
    firstRunLookbackMinutes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(24 * 60)), 60),
    /**
     * Each run looks this far back before the last watermark for CDRs written late: Plivo's
     * count of it (one request) is compared with the calls already judged there, and only the
     * parts whose count grew are listed again.
     */
    overlapMinutes: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(24 * 60)), 15),
    /**
     * A run reads calls that ended at least this long ago: Plivo may write a CDR a few seconds
     * after the call ends, and one written before the next run is then read once instead of
     * being looked for as a late CDR (a few count requests). Adds this much to the time to page.
     * Later CDRs are still found, in the overlap.
     */
    settleSeconds: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(300)), 15),
    /** Longest window one run reads; a longer backlog is worked off over several runs. */
    maxWindowMinutes: z._default(z.number().check(z.int(), z.minimum(5), z.maximum(7 * 24 * 60)), 6 * 60),
    /**
     * How long the poller keeps looking again for insights Plivo says are not ready (404), or
     * refuses, before judging the CDR alone: each look that found none counts the time since the
     * look before (at least a schedule interval). Looks are spaced as the call ages (half its
     * age, at most 4 minutes; stages/owed-calls.ts): an hour is 12 looks at a 5-minute
     * schedule, ~16 at a 1-minute one; a run that had no time to look counts nothing. Failed requests (an Insights outage) are counted
     * apart, with four times this, so an outage does not use up the wait.
     */
    insightsWaitMinutes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(24 * 60)), 60),
    insightsMaxAttempts: replacedBy(
      'poll.insightsWaitMinutes',
      (old) => `"insightsWaitMinutes": ${runsAsMinutes(old, 12)}`,
    ),
    /**
     * A run stops starting new work this long before its time runs out, and saves progress
     * (findings already computed are still sent until half of it is left). 10 of the default
     * 1-minute schedule's 50 s timeout leaves 40 s of work a minute.
     */
    safetyMarginSeconds: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(600)), 10),
  }),
  {},
);

/** Server-side filters for the calls list. */
const callFiltersSchema = z.strictObject({
  callDirection: z.optional(z.enum(['inbound', 'outbound'])),
  /** Number or prefix, digits only (a leading '+' is stripped, as Plivo's CLI does). */
  fromNumber: z.optional(z.string().check(z.regex(/^\+?\d+$/, 'must be digits, optionally after a +'))),
  toNumber: z.optional(z.string().check(z.regex(/^\+?\d+$/, 'must be digits, optionally after a +'))),
});

const plivoSchema = z.prefault(
  z.strictObject({
    /**
     * Share of Plivo's 300 requests / 5 s per account this poller may use. Default 150, half
     * the account's budget: a Zentrunk account mostly carries SIP trunk traffic, which makes
     * no API requests, but other automation may share the limit; the other half is left to it,
     * and the client backs off on every 429 all the same (pauses, then slows down). 150 is
     * ~27 calls/s, ~8,000 in a 5-minute interval. Up to 300 when nothing else uses the API.
     */
    maxRequestsPer5s: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(300)), 150),
    /**
     * Insights requests in flight at once. To use the whole budget the client needs
     * rate × latency in flight: 300 / 5 s × 150 ms (the slowest usual answer) = 9 at Plivo's
     * full limit. 16 leaves room for slower answers (up to ~270 ms at 300 / 5 s, ~530 ms at
     * the default 150); the rate limiter, not this, keeps to the budget. Up to 64 for a long
     * way to Plivo (e.g. 1 s round trips).
     */
    insightsConcurrency: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(64)), 16),
    requestTimeoutMs: z._default(z.number().check(z.int(), z.minimum(100), z.maximum(60_000)), 10_000),
    /** Attempts per request for 429, 5xx, network errors and timeouts (first try included). */
    maxAttempts: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(10)), 5),
    /** Optional server-side filters for the calls list (never sent empty). */
    callFilters: z.prefault(callFiltersSchema, {}),
  }),
  {},
);

/**
 * The name of a Plivo account (or subaccount) the poller watches: a slug, because it names the
 * account's state, its metrics' `Account` dimension, its alarms and its SNS `account` attribute.
 */
export const accountNameSchema = z.string().check(
  z.regex(
    /^[a-z][a-z0-9-]{0,31}$/,
    'must be a slug: a lower-case letter, then letters, digits or -, 32 at most',
  ),
  z.refine((name) => name !== 'poller', '"poller" is reserved (the state key of the default account)'),
);

/** Most accounts one deployment watches (their secret ARNs ride in the 4 KB Lambda environment). */
export const MAX_ACCOUNTS = 20;

/**
 * One watched Plivo account: its own request budget and call filters (each account has its
 * own 300 requests / 5 s at Plivo). Its credentials are deployment settings
 * (`deployment.accounts.<name>`), never part of the runtime config.
 */
const accountSchema = z.strictObject({
  // A described copy: accountNameSchema itself is also used undescribed (lib/config/deployment-schema.ts).
  name: accountNameSchema.check(
    z.describe(
      'A slug naming the account; "default" is the account a config without `accounts` watches (same secret, same state).',
    ),
  ),
  maxRequestsPer5s: z
    .optional(z.number().check(z.int(), z.minimum(1), z.maximum(300)))
    .register(z.globalRegistry, {
      description: "This account's share of its own 300 requests / 5 s (default plivo.maxRequestsPer5s).",
    }),
  callFilters: z.optional(callFiltersSchema).register(z.globalRegistry, {
    description:
      "Filters for this account's calls list, replacing plivo.callFilters as a whole (default: those).",
  }),
});
export type AccountConfig = z.infer<typeof accountSchema>;

const accountsSchema = z
  .optional(
    z.array(accountSchema).check(
      z.minLength(1),
      z.maxLength(MAX_ACCOUNTS),
      z.superRefine((accounts, ctx) => {
        const seen = new Set<string>();
        accounts.forEach((account, index) => {
          if (seen.has(account.name)) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `duplicate account name "${account.name}"`,
            });
          }
          seen.add(account.name);
        });
      }),
    ),
  )
  .register(z.globalRegistry, {
    description:
      'The Plivo accounts or subaccounts to watch, one poll run each per schedule tick. Absent: one account, "default".',
  });

const stateSchema = z.prefault(
  z.strictObject({
    /** How long dedup records are kept (DynamoDB TTL; the code never relies on deletion). */
    dedupRetentionDays: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(365)), 30),
  }),
  {},
);

const notificationsSchema = z.prefault(
  z.strictObject({
    /** Name shown in every subject, to tell several deployments apart. */
    deploymentName: z._default(z.string().check(z.minLength(1), z.maxLength(30)), 'zentrunk'),
    /** Replace all but the last 4 digits of phone numbers in notifications. */
    maskPhoneNumbers: z._default(z.boolean(), false),
    /**
     * At most `maxAlerts` alerts go out one by one in any `perMinutes` (counted over the runs of
     * that time, so the same at any schedule); findings beyond it go out as a single catch-up
     * summary per run (after an outage, or in a large incident) instead of flooding on-call.
     */
    alertBudget: z.prefault(
      z.strictObject({
        maxAlerts: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1000)), 25),
        perMinutes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(60)), 5),
      }),
      {},
    ),
    maxAlertsPerRun: replacedBy(
      'alertBudget',
      (old) => `"alertBudget": {"maxAlerts": ${typeof old === 'number' ? old : 25}, "perMinutes": 5}`,
    ),
    /**
     * `amazon-q-chat` for a topic that feeds Slack/Teams through Amazon Q Developer in chat
     * applications: HTTPS and default bodies become its custom notifications (thread per alert).
     */
    format: z._default(z.enum(['standard', 'amazon-q-chat']), 'standard'),
    /**
     * Runs in a row whose publish of the same message the channel refused for good (SNS
     * InvalidParameter) before that message is set aside as a dead letter: kept in the state
     * table with its reason, counted, and named in one operations message, so one bad message
     * cannot fail every run forever. A count of refusals, not minutes, on purpose: SNS refuses
     * a message for what it is (too long, a bad attribute), and waiting does not change that;
     * the count only guards against setting aside a message on one misread answer, and each
     * refusal fails a run. At any schedule the message is set aside at its third refusal.
     */
    deadLetterAfterRejections: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(20)), 3),
    /**
     * The longest silence `zentrunk-alerts silence add` accepts: a silence forgotten for months
     * is an alerter gone quiet. Longer maintenance is several silences, each a decision.
     */
    maxSilenceDays: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(365)), 30),
  }),
  {},
);

const operationsSchema = z.prefault(
  z.strictObject({
    /**
     * Tell operations once runs have been failing for this long: each failed run in a row counts
     * its schedule interval, so 10 is the second failed run at a 5-minute schedule and the
     * tenth at a 1-minute one (a blip of a minute or two is not a page at either). At most
     * one interval: the first failure.
     */
    failingAlertMinutes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(24 * 60)), 10),
    failuresBeforeAlert: replacedBy(
      'operations.failingAlertMinutes',
      (old) => `"failingAlertMinutes": ${runsAsMinutes(old, 2)}`,
    ),
    /** Alert when the watermark falls this far behind now (catch-up taking too long). */
    lagAlertMinutes: z._default(z.number().check(z.int(), z.minimum(5), z.maximum(7 * 24 * 60)), 60),
  }),
  {},
);

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** True when Intl knows the zone: the quiet-period check formats instants in it at run time. */
function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Which findings a silence or quiet period mutes. Every list given must match (AND across
 * fields, OR within a list); an absent list matches every finding.
 */
const silenceMatchersSchema = z
  .strictObject({
    rule: z.optional(
      z
        .array(z.enum([...RULE_IDS, ...WINDOWED_RULES.map((r) => r.id), ...TRAFFIC_RULE_IDS]))
        .check(z.minLength(1)),
    ),
    severity: z.optional(z.array(severitySchema).check(z.minLength(1))),
    ...MATCHER_LISTS,
  })
  .register(z.globalRegistry, {
    description: 'Which findings are muted; omit a list to match every finding.',
  });
export type SilenceMatchers = z.infer<typeof silenceMatchersSchema>;

const silenceSchema = z
  .strictObject({
    /** Shown in the logs of every finding it mutes. */
    id: z.string().check(z.minLength(1)),
    comment: z.optional(z.string()),
    matchers: silenceMatchersSchema.check(
      z.refine((m) => Object.values(m).some((list) => list !== undefined), {
        // A one-off silence on everything is almost always a mistake; a deliberate blanket
        // mute is a quiet period (or disabling the rules).
        message: `give at least one matcher (${orList(['rule', 'severity', ...CALL_MATCHERS.map((m) => m.key)])})`,
      }),
    ),
    startsAt: z.iso.datetime({ offset: true }),
    /** Exclusive: the silence is active while startsAt <= now < endsAt. */
    endsAt: z.iso.datetime({ offset: true }),
  })
  .check(
    z.refine((s) => Date.parse(s.endsAt) > Date.parse(s.startsAt), {
      message: 'endsAt must be after startsAt',
      path: ['endsAt'],
    }),
  );
export type Silence = z.infer<typeof silenceSchema>;

const quietPeriodSchema = z
  .strictObject({
    id: z.string().check(z.minLength(1)),
    comment: z.optional(z.string()),
    /** Empty (the default) mutes every finding during the window. */
    matchers: z._default(silenceMatchersSchema, {}),
    /** Days on which the window starts (an overnight window runs on into the next day). */
    days: z.array(z.enum(WEEKDAYS)).check(z.minLength(1)),
    /** Local wall-clock time in timeZone, inclusive. */
    start: z.string().check(z.regex(HH_MM, 'must be a time as HH:MM (24-hour), e.g. "22:00"')),
    /** Exclusive. Earlier than start means the window crosses midnight; "24:00" is the end of the day. */
    end: z
      .string()
      .check(
        z.regex(
          /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/,
          'must be a time as HH:MM (24-hour, or 24:00), e.g. "06:00"',
        ),
      ),
    timeZone: z._default(
      z.string().check(
        z.refine(isKnownTimeZone, {
          message: 'must be an IANA time zone name, e.g. "Europe/Berlin" or "UTC"',
        }),
      ),
      'UTC',
    ),
  })
  .check(
    z.refine((q) => q.start !== q.end, {
      message: 'end must differ from start (for a whole day use "00:00" to "24:00")',
      path: ['end'],
    }),
  );
export type QuietPeriod = z.infer<typeof quietPeriodSchema>;

const silencesSchema = z
  .prefault(
    z.strictObject({
      /** One-off silences with a fixed time range (a planned migration, a known carrier incident). */
      rules: z._default(z.array(silenceSchema), []),
      /** Recurring maintenance windows. */
      quietPeriods: z._default(z.array(quietPeriodSchema), []),
    }),
    {},
  )
  .check(
    z.superRefine((s, ctx) => {
      // Ids are what the logs show; two with the same id could not be told apart.
      const seen = new Set<string>();
      const check = (list: 'rules' | 'quietPeriods', id: string, index: number) => {
        if (seen.has(id)) {
          ctx.addIssue({ code: 'custom', path: [list, index, 'id'], message: `duplicate id "${id}"` });
        }
        seen.add(id);
      };
      s.rules.forEach((r, i) => check('rules', r.id, i));
      s.quietPeriods.forEach((q, i) => check('quietPeriods', q.id, i));
    }),
  );

export { GROUP_LABELS, type GroupLabel } from '../dimensions';

const groupingSchema = z.prefault(
  z.strictObject({
    /**
     * One alert per incident instead of one per bad call: findings of a rule are grouped by
     * `groupBy`, and each group is notified when it starts, when it grows, as a reminder, and
     * when it is over (Alertmanager's lifecycle).
     */
    enabled: z._default(z.boolean(), false),
    groupBy: z._default(z.array(z.enum(GROUP_LABELS)).check(z.maxLength(5)), ['trunk_domain']),
    /** Wait this long after a group's first finding before the first notification (more calls join it). */
    groupWaitSeconds: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(3600)), 0),
    /** Send an update when the group's call count grew by this much since the last notification. */
    updateWhenGrownPct: z._default(z.number().check(z.int(), z.minimum(10), z.maximum(10_000)), 100),
    /** At most this many updates per incident (reminders and the resolution are not counted). */
    maxUpdates: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(50)), 3),
    /** Remind while it is still firing, this long after the last notification. */
    repeatIntervalMinutes: z._default(z.number().check(z.int(), z.minimum(5), z.maximum(7 * 24 * 60)), 240),
    /** Resolved once no new finding joined for this long. */
    resolveAfterMinutes: z._default(z.number().check(z.int(), z.minimum(5), z.maximum(24 * 60)), 30),
    /** Calls listed in a notification. */
    sampleSize: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(50)), 10),
  }),
  {},
);

/** The windowed rules' ids, from the registry (functions/core/windowed/registry.ts), in config order. */
export const WINDOWED_RULE_IDS = WINDOWED_RULES.map((rule) => rule.id) as Array<RegisteredWindowedRule['id']>;
export type WindowedRuleId = (typeof WINDOWED_RULE_IDS)[number];

const windowLabel = z.enum(WINDOW_LABELS);

/**
 * The fields of a windowed rule whose defaults are the same for every rule: built once and
 * shared by the six rules (each schema object costs start-up time; see windowedRule).
 */
const windowed = {
  enabled: z._default(z.boolean(), false),
  /**
   * Changes for some groups only, matched against the group's labels (so scope by what
   * the rule groups by): the first match applies; omitted fields keep the rule's value.
   */
  overrides: z._default(
    z.array(
      z.strictObject({
        scope: overrideScope,
        enabled: z.optional(z.boolean()),
        severity: z.optional(severitySchema),
        threshold: z.optional(z.number().check(z.minimum(0))),
        recoveryThreshold: z.optional(z.number().check(z.minimum(0))),
        minCalls: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100_000))),
      }),
    ),
    [],
  ),
  windowMinutes: z._default(z.number().check(z.int(), z.minimum(5), z.maximum(24 * 60)), 15),
  /** Below this many calls in the window the rule says nothing (one bad call at 3 a.m. is not a spike). */
  minCalls: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(100_000)), 20),
  /**
   * Flap control, in minutes at any schedule: fire once the rule's evaluations (one per run)
   * breached for `breachMinutes` of the last `withinMinutes`, each breaching evaluation counting
   * the schedule interval it ran in. The default, 2 of 3, is 2 breaching runs of the last 3 at
   * the default 1-minute schedule (pages within ~3 minutes of a spike); at a 5-minute schedule
   * the first breaching run fires (it counts 5 minutes): set 10 of 15 there for 2 runs of 3.
   * `withinMinutes` is at most 6 hours: the window's state keeps one entry per breaching run in it.
   */
  for: z
    .prefault(
      z.strictObject({
        breachMinutes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(6 * 60)), 2),
        withinMinutes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(6 * 60)), 3),
      }),
      {},
    )
    .check(
      z.superRefine((f, ctx) => {
        if (f.breachMinutes > f.withinMinutes) {
          ctx.addIssue({
            code: 'custom',
            path: ['breachMinutes'],
            message: `must not exceed withinMinutes (${f.withinMinutes}): a rule cannot breach for longer than it looks back`,
          });
        }
      }),
    ),
  forEvaluations: replacedBy('for', (old) => {
    const { m, n } = (typeof old === 'object' && old !== null ? old : {}) as { m?: unknown; n?: unknown };
    return `"for": {"breachMinutes": ${runsAsMinutes(m, 2)}, "withinMinutes": ${runsAsMinutes(n, 3)}}`;
  }),
  /**
   * Compare with this group's own history: fire only when the value is also `factor` times
   * worse than an exponentially weighted average of earlier windows, which forgets half of
   * what it learnt in `halfLifeMinutes` (whatever the schedule: each evaluation weighs as much
   * as the interval it ran in).
   */
  baseline: z.prefault(
    z.strictObject({
      enabled: z._default(z.boolean(), false),
      factor: z._default(z.number().check(z.gt(1), z.maximum(100)), 2),
      halfLifeMinutes: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(7 * 24 * 60)), 15),
      alpha: replacedBy('baseline.halfLifeMinutes', (old) => {
        const alpha = typeof old === 'number' && old > 0 && old < 1 ? old : 0.2;
        // Runs until the weight of what was learnt halves: (1 - alpha)^runs = 1/2.
        return `"halfLifeMinutes": ${Math.max(1, runsAsMinutes(Math.log(0.5) / Math.log(1 - alpha), 3))}`;
      }),
    }),
    {},
  ),
};

/**
 * A rule over a sliding window of calls rather than one call: it fires for a group of calls
 * (a trunk, a destination country) when their aggregate crosses a threshold, with flap control
 * and, optionally, a baseline learnt from earlier windows.
 */
function windowedRule<E extends z.core.$ZodLooseShape>(
  defaults: {
    groupBy: Array<z.infer<typeof windowLabel>>;
    aggregate: 'share' | 'mean' | 'p95' | 'count';
    threshold: number;
    recovery: number;
    severity: Severity;
  },
  extra: E,
) {
  return z.prefault(
    z.strictObject({
      ...extra,
      enabled: windowed.enabled,
      severity: z._default(severitySchema, defaults.severity),
      overrides: windowed.overrides,
      groupBy: z._default(z.array(windowLabel).check(z.maxLength(5)), defaults.groupBy),
      windowMinutes: windowed.windowMinutes,
      minCalls: windowed.minCalls,
      aggregate: z._default(z.enum(['share', 'mean', 'p95', 'count']), defaults.aggregate),
      /** Fires at or beyond this (share: a fraction 0–1 of calls; mean/p95: the metric's unit; count: calls). */
      threshold: z._default(z.number().check(z.minimum(0)), defaults.threshold),
      /** Clears only once back past this (hysteresis), so a value hovering at the threshold does not flap. */
      recoveryThreshold: z._default(z.number().check(z.minimum(0)), defaults.recovery),
      for: windowed.for,
      forEvaluations: windowed.forEvaluations,
      baseline: windowed.baseline,
    }),
    // Generic over the extra fields, so TypeScript cannot see that {} satisfies them: they all have defaults.
    {} as never,
  );
}

/** `windowedRules`: one entry per registered windowed rule, built from its descriptor. */
type WindowedRulesShape = {
  [R in RegisteredWindowedRule as R['id']]: ReturnType<typeof windowedRule<R['extra']>>;
};
const windowedRulesSchema = z.prefault(
  z.strictObject(
    Object.fromEntries(
      WINDOWED_RULES.map((rule) => [rule.id, windowedRule(rule.defaults, rule.extra)]),
    ) as WindowedRulesShape,
  ),
  {},
);
export type WindowedRulesConfig = z.infer<typeof windowedRulesSchema>;

export const alertConfigSchema = z.strictObject({
  $schema: z.optional(z.string()),
  poll: pollSchema,
  plivo: plivoSchema,
  accounts: accountsSchema,
  rules: z.prefault(rulesSchema, {}),
  state: stateSchema,
  notifications: notificationsSchema,
  operations: operationsSchema,
  grouping: groupingSchema,
  windowedRules: windowedRulesSchema,
  trafficRules: trafficRulesSchema,
  silences: silencesSchema,
});

export type AlertConfig = z.infer<typeof alertConfigSchema>;
export type AlertConfigInput = z.input<typeof alertConfigSchema>;
