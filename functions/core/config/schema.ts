import * as z from 'zod';

/**
 * The single definition of zentrunk-alerts' configuration. TypeScript types, the runtime
 * start-up check, the synth-time check in `bin/` and the JSON Schema for editors
 * (`config/config.schema.json`) all come from here.
 */

export const severitySchema = z.enum(['critical', 'warning', 'info']);
export type Severity = z.infer<typeof severitySchema>;

const iso2 = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code in upper case, e.g. "US"');

/** Limits which calls a rule looks at. Every list given must match; an absent list matches all. */
export const scopeSchema = z
  .strictObject({
    directions: z
      .array(z.enum(['inbound', 'outbound']))
      .min(1)
      .optional(),
    trunkDomains: z.array(z.string().min(1)).min(1).optional(),
    /** Matches when either the caller's or the callee's country is listed. */
    countries: z.array(iso2).min(1).optional(),
  })
  .describe('Which calls the rule applies to; omit a list to match every call.');
export type Scope = z.infer<typeof scopeSchema>;

/** Which calls (or groups) an override applies to: it must name at least one list. */
const overrideScope = scopeSchema.refine((scope) => Object.keys(scope).length > 0, {
  message: 'an override needs a scope: directions, trunkDomains or countries',
});

const ruleBase = {
  enabled: z.boolean().default(true),
  scope: scopeSchema.default({}),
};

/**
 * Per-trunk / per-country / per-direction changes to one rule. The first override whose scope
 * matches a call applies to it; a field it leaves out keeps the rule's value.
 */
function overridesOf<S extends z.ZodRawShape>(fields: S) {
  return z
    .array(
      z.strictObject({
        scope: overrideScope,
        enabled: z.boolean().optional(),
        severity: severitySchema.optional(),
        ...fields,
      }),
    )
    .default([])
    .describe(
      "Changes for some calls only: the first override whose scope matches applies; omitted fields keep the rule's value.",
    );
}

const qualityScore = z.number().gt(1).lte(5);
const percent = z.number().gt(0).lte(100);
const milliseconds = z.number().gt(0);
const hangupCodes = z.array(z.number().int().min(1000).max(9999));

/** A rule's own consistency check, applied to the rule and to it as each override changes it. */
function checkMerged<R extends { overrides: object[] }>(
  check: (merged: Omit<R, 'overrides'>) => { path: string; message: string } | null,
) {
  return (rule: R, ctx: z.RefinementCtx) => {
    const { overrides, ...base } = rule;
    const candidates: Array<{ at: PropertyKey[]; merged: Omit<R, 'overrides'> }> = [{ at: [], merged: base }];
    overrides.forEach((override, i) => {
      const defined = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined));
      candidates.push({ at: ['overrides', i], merged: { ...base, ...defined } });
    });
    for (const { at, merged } of candidates) {
      const problem = check(merged);
      if (problem) ctx.addIssue({ code: 'custom', path: [...at, problem.path], message: problem.message });
    }
  };
}

const rulesSchema = z.strictObject({
  'low-quality-score': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      /** Fires when plivo_quality_score < below (a score of exactly `below` does not fire). */
      below: qualityScore.default(3),
      /** Escalates to critical when the score is below this (Plivo: 1–2 is "poor"). */
      criticalBelow: qualityScore.optional().default(2),
      overrides: overridesOf({ below: qualityScore.optional(), criticalBelow: qualityScore.optional() }),
    })
    .prefault({})
    .superRefine(
      checkMerged((r: { below: number; criticalBelow: number }) =>
        r.criticalBelow <= r.below
          ? null
          : { path: 'criticalBelow', message: 'criticalBelow must not be above below' },
      ),
    ),
  'packet-loss': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      /** Percent. Plivo grades packet loss of 0.9 % or more as bad. Fires at or above. */
      thresholdPct: percent.default(0.9),
      /** Percent. Escalates to critical at or above (Twilio tags carriers above 5 %). */
      criticalPct: percent.optional().default(5),
      overrides: overridesOf({ thresholdPct: percent.optional(), criticalPct: percent.optional() }),
    })
    .prefault({})
    .superRefine(
      checkMerged((r: { thresholdPct: number; criticalPct: number }) =>
        r.criticalPct >= r.thresholdPct
          ? null
          : { path: 'criticalPct', message: 'criticalPct must not be below thresholdPct' },
      ),
    ),
  'zentrunk-hangup': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('critical'),
      /**
       * Hangup cause codes that never alert even when Zentrunk hung up. Default: normal
       * hangups and the outcomes Plivo calls normal (busy, temporarily unavailable, cancelled).
       */
      ignoreCodes: hangupCodes.default([3000, 3010, 4410, 4340, 4550]),
      overrides: overridesOf({ ignoreCodes: hangupCodes.optional() }),
    })
    .prefault({}),
  'stir-unverified': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      overrides: overridesOf({}),
    })
    .prefault({}),
  'high-jitter': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      /** Milliseconds. Plivo, Twilio and Cisco grade 30 ms or more as bad. Fires at or above. */
      thresholdMs: milliseconds.default(30),
      overrides: overridesOf({ thresholdMs: milliseconds.optional() }),
    })
    .prefault({}),
  'high-rtt': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      /** Milliseconds. Plivo grades RTT above 300 ms as bad. Fires above. */
      thresholdMs: milliseconds.default(300),
      overrides: overridesOf({ thresholdMs: milliseconds.optional() }),
    })
    .prefault({}),
  'high-post-dial-delay': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('info'),
      /** Milliseconds from initiation to ringing. 4–5 s is the expected ceiling. Fires above. */
      thresholdMs: milliseconds.default(5000),
      overrides: overridesOf({ thresholdMs: milliseconds.optional() }),
    })
    .prefault({}),
});
export type RulesConfig = z.infer<typeof rulesSchema>;
export type RuleId = keyof RulesConfig;
export const RULE_IDS = Object.keys(rulesSchema.shape) as RuleId[];

const pollSchema = z
  .strictObject({
    /** How far back the very first run looks. Never the API's 30-day default. */
    firstRunLookbackMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
    /** Each run re-reads this much before the last watermark: CDRs can arrive late. */
    overlapMinutes: z
      .number()
      .int()
      .min(0)
      .max(24 * 60)
      .default(15),
    /** Longest window one run reads; a longer backlog is worked off over several runs. */
    maxWindowMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(6 * 60),
    /**
     * Runs that look again for insights Plivo says are not ready (404), before judging the CDR
     * alone: 12 at a 5-minute schedule is an hour. Failed requests (an Insights outage) have
     * their own budget of four times this.
     */
    insightsMaxAttempts: z.number().int().min(1).max(100).default(12),
    /** A run stops starting new work this long before its time runs out, and saves progress. */
    safetyMarginSeconds: z.number().int().min(1).max(600).default(30),
  })
  .prefault({});

/** Server-side filters for the calls list. */
const callFiltersSchema = z.strictObject({
  callDirection: z.enum(['inbound', 'outbound']).optional(),
  /** Number or prefix, digits only (a leading '+' is stripped, as Plivo's CLI does). */
  fromNumber: z
    .string()
    .regex(/^\+?\d+$/, 'must be digits, optionally after a +')
    .optional(),
  toNumber: z
    .string()
    .regex(/^\+?\d+$/, 'must be digits, optionally after a +')
    .optional(),
});

const plivoSchema = z
  .strictObject({
    /**
     * Share of Plivo's 300 requests / 5 s per account this poller may use. Default 150, half
     * the account's budget: a Zentrunk account mostly carries SIP trunk traffic, which makes
     * no API requests, but other automation may share the limit; the other half is left to it,
     * and the client backs off on every 429 all the same (pauses, then slows down). 150 is
     * ~27 calls/s, ~8,000 in a 5-minute interval. Up to 300 when nothing else uses the API.
     */
    maxRequestsPer5s: z.number().int().min(1).max(300).default(150),
    /**
     * Insights requests in flight at once. To use the whole budget the client needs
     * rate × latency in flight: 300 / 5 s × 150 ms (the slowest usual answer) = 9 at Plivo's
     * full limit. 16 leaves room for slower answers (up to ~270 ms at 300 / 5 s, ~530 ms at
     * the default 150); the rate limiter, not this, keeps to the budget. Up to 64 for a long
     * way to Plivo (e.g. 1 s round trips).
     */
    insightsConcurrency: z.number().int().min(1).max(64).default(16),
    requestTimeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** Attempts per request for 429, 5xx, network errors and timeouts (first try included). */
    maxAttempts: z.number().int().min(1).max(10).default(5),
    /** Optional server-side filters for the calls list (never sent empty). */
    callFilters: callFiltersSchema.prefault({}),
  })
  .prefault({});

/**
 * The name of a Plivo account (or subaccount) the poller watches: a slug, because it names the
 * account's state, its metrics' `Account` dimension, its alarms and its SNS `account` attribute.
 */
export const accountNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,31}$/,
    'must be a slug: a lower-case letter, then letters, digits or -, 32 at most',
  )
  .refine((name) => name !== 'poller', '"poller" is reserved (the state key of the default account)');

/** Most accounts one deployment watches (their secret ARNs ride in the 4 KB Lambda environment). */
export const MAX_ACCOUNTS = 20;

/**
 * One watched Plivo account: its own request budget and call filters (each account has its
 * own 300 requests / 5 s at Plivo). Its credentials are deployment settings
 * (`deployment.accounts.<name>`), never part of the runtime config.
 */
const accountSchema = z.strictObject({
  name: accountNameSchema.describe(
    'A slug naming the account; "default" is the account a config without `accounts` watches (same secret, same state).',
  ),
  maxRequestsPer5s: z
    .number()
    .int()
    .min(1)
    .max(300)
    .optional()
    .describe("This account's share of its own 300 requests / 5 s (default plivo.maxRequestsPer5s)."),
  callFilters: callFiltersSchema
    .optional()
    .describe(
      "Filters for this account's calls list, replacing plivo.callFilters as a whole (default: those).",
    ),
});
export type AccountConfig = z.infer<typeof accountSchema>;

const accountsSchema = z
  .array(accountSchema)
  .min(1)
  .max(MAX_ACCOUNTS)
  .superRefine((accounts, ctx) => {
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
  })
  .optional()
  .describe(
    'The Plivo accounts or subaccounts to watch, one poll run each per schedule tick. Absent: one account, "default".',
  );

const stateSchema = z
  .strictObject({
    /** How long dedup records are kept (DynamoDB TTL; the code never relies on deletion). */
    dedupRetentionDays: z.number().int().min(1).max(365).default(30),
  })
  .prefault({});

const notificationsSchema = z
  .strictObject({
    /** Name shown in every subject, to tell several deployments apart. */
    deploymentName: z.string().min(1).max(30).default('zentrunk'),
    /** Replace all but the last 4 digits of phone numbers in notifications. */
    maskPhoneNumbers: z.boolean().default(false),
    /**
     * Alerts one run sends one by one; findings beyond it go out as a single catch-up summary
     * (after an outage, or in a large incident) instead of flooding on-call.
     */
    maxAlertsPerRun: z.number().int().min(1).max(1000).default(25),
    /**
     * `amazon-q-chat` for a topic that feeds Slack/Teams through Amazon Q Developer in chat
     * applications: HTTPS and default bodies become its custom notifications (thread per alert).
     */
    format: z.enum(['standard', 'amazon-q-chat']).default('standard'),
    /**
     * Runs in a row whose publish of the same message the channel refused for good (SNS
     * InvalidParameter) before that message is set aside as a dead letter: kept in the state
     * table with its reason, counted, and named in one operations message, so one bad message
     * cannot fail every run forever.
     */
    deadLetterAfterRejections: z.number().int().min(1).max(20).default(3),
  })
  .prefault({});

const operationsSchema = z
  .strictObject({
    /** Consecutive failed runs before the operations alert goes out (1 = the first failure). */
    failuresBeforeAlert: z.number().int().min(1).max(20).default(2),
    /** Alert when the watermark falls this far behind now (catch-up taking too long). */
    lagAlertMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(60),
  })
  .prefault({});

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
    rule: z.array(z.enum(RULE_IDS)).min(1).optional(),
    severity: z.array(severitySchema).min(1).optional(),
    trunkDomains: z.array(z.string().min(1)).min(1).optional(),
    /** Matches when either the caller's or the callee's country is listed. */
    countries: z.array(iso2).min(1).optional(),
    directions: z
      .array(z.enum(['inbound', 'outbound']))
      .min(1)
      .optional(),
  })
  .describe('Which findings are muted; omit a list to match every finding.');
export type SilenceMatchers = z.infer<typeof silenceMatchersSchema>;

const silenceSchema = z
  .strictObject({
    /** Shown in the logs of every finding it mutes. */
    id: z.string().min(1),
    comment: z.string().optional(),
    matchers: silenceMatchersSchema.refine((m) => Object.values(m).some((list) => list !== undefined), {
      // A one-off silence on everything is almost always a mistake; a deliberate blanket
      // mute is a quiet period (or disabling the rules).
      message: 'give at least one matcher (rule, severity, trunkDomains, countries or directions)',
    }),
    startsAt: z.iso.datetime({ offset: true }),
    /** Exclusive: the silence is active while startsAt <= now < endsAt. */
    endsAt: z.iso.datetime({ offset: true }),
  })
  .refine((s) => Date.parse(s.endsAt) > Date.parse(s.startsAt), {
    message: 'endsAt must be after startsAt',
    path: ['endsAt'],
  });
export type Silence = z.infer<typeof silenceSchema>;

const quietPeriodSchema = z
  .strictObject({
    id: z.string().min(1),
    comment: z.string().optional(),
    /** Empty (the default) mutes every finding during the window. */
    matchers: silenceMatchersSchema.default({}),
    /** Days on which the window starts (an overnight window runs on into the next day). */
    days: z.array(z.enum(WEEKDAYS)).min(1),
    /** Local wall-clock time in timeZone, inclusive. */
    start: z.string().regex(HH_MM, 'must be a time as HH:MM (24-hour), e.g. "22:00"'),
    /** Exclusive. Earlier than start means the window crosses midnight; "24:00" is the end of the day. */
    end: z
      .string()
      .regex(
        /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/,
        'must be a time as HH:MM (24-hour, or 24:00), e.g. "06:00"',
      ),
    timeZone: z
      .string()
      .refine(isKnownTimeZone, { message: 'must be an IANA time zone name, e.g. "Europe/Berlin" or "UTC"' })
      .default('UTC'),
  })
  .refine((q) => q.start !== q.end, {
    message: 'end must differ from start (for a whole day use "00:00" to "24:00")',
    path: ['end'],
  });
export type QuietPeriod = z.infer<typeof quietPeriodSchema>;

const silencesSchema = z
  .strictObject({
    /** One-off silences with a fixed time range (a planned migration, a known carrier incident). */
    rules: z.array(silenceSchema).default([]),
    /** Recurring maintenance windows. */
    quietPeriods: z.array(quietPeriodSchema).default([]),
  })
  .prefault({})
  .superRefine((s, ctx) => {
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
  });

export const GROUP_LABELS = ['trunk_domain', 'to_country', 'from_country', 'direction', 'carrier'] as const;
export type GroupLabel = (typeof GROUP_LABELS)[number];

const groupingSchema = z
  .strictObject({
    /**
     * One alert per incident instead of one per bad call: findings of a rule are grouped by
     * `groupBy`, and each group is notified when it starts, when it grows, as a reminder, and
     * when it is over (Alertmanager's lifecycle).
     */
    enabled: z.boolean().default(false),
    groupBy: z.array(z.enum(GROUP_LABELS)).max(5).default(['trunk_domain']),
    /** Wait this long after a group's first finding before the first notification (more calls join it). */
    groupWaitSeconds: z.number().int().min(0).max(3600).default(0),
    /** Send an update when the group's call count grew by this much since the last notification. */
    updateWhenGrownPct: z.number().int().min(10).max(10_000).default(100),
    /** At most this many updates per incident (reminders and the resolution are not counted). */
    maxUpdates: z.number().int().min(0).max(50).default(3),
    /** Remind while it is still firing, this long after the last notification. */
    repeatIntervalMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(240),
    /** Resolved once no new finding joined for this long. */
    resolveAfterMinutes: z
      .number()
      .int()
      .min(5)
      .max(24 * 60)
      .default(30),
    /** Calls listed in a notification. */
    sampleSize: z.number().int().min(1).max(50).default(10),
  })
  .prefault({});

export const WINDOWED_RULE_IDS = [
  'packet-loss-spike',
  'low-quality-share',
  'zentrunk-hangup-share',
  'stir-unverified-share',
  'answer-seizure-ratio',
  'post-dial-delay-p95',
] as const;
export type WindowedRuleId = (typeof WINDOWED_RULE_IDS)[number];

const windowLabel = z.enum([...GROUP_LABELS, 'from_prefix']);

/**
 * A rule over a sliding window of calls rather than one call: it fires for a group of calls
 * (a trunk, a destination country) when their aggregate crosses a threshold, with flap control
 * and, optionally, a baseline learnt from earlier windows.
 */
function windowedRule<E extends z.ZodRawShape>(
  defaults: {
    groupBy: Array<z.infer<typeof windowLabel>>;
    aggregate: 'share' | 'mean' | 'p95' | 'count';
    threshold: number;
    recovery: number;
    severity: Severity;
  },
  extra: E,
) {
  return (
    z
      .strictObject({
        ...extra,
        enabled: z.boolean().default(false),
        severity: severitySchema.default(defaults.severity),
        /**
         * Changes for some groups only, matched against the group's labels (so scope by what
         * the rule groups by): the first match applies; omitted fields keep the rule's value.
         */
        overrides: z
          .array(
            z.strictObject({
              scope: overrideScope,
              enabled: z.boolean().optional(),
              severity: severitySchema.optional(),
              threshold: z.number().min(0).optional(),
              recoveryThreshold: z.number().min(0).optional(),
              minCalls: z.number().int().min(1).max(100_000).optional(),
            }),
          )
          .default([]),
        groupBy: z.array(windowLabel).max(5).default(defaults.groupBy),
        windowMinutes: z
          .number()
          .int()
          .min(5)
          .max(24 * 60)
          .default(15),
        /** Below this many calls in the window the rule says nothing (one bad call at 3 a.m. is not a spike). */
        minCalls: z.number().int().min(1).max(100_000).default(20),
        aggregate: z.enum(['share', 'mean', 'p95', 'count']).default(defaults.aggregate),
        /** Fires at or beyond this (share: a fraction 0–1 of calls; mean/p95: the metric's unit; count: calls). */
        threshold: z.number().min(0).default(defaults.threshold),
        /** Clears only once back past this (hysteresis), so a value hovering at the threshold does not flap. */
        recoveryThreshold: z.number().min(0).default(defaults.recovery),
        /** Fire when at least `m` of the last `n` evaluations breached. */
        forEvaluations: z
          .strictObject({
            m: z.number().int().min(1).max(20).default(2),
            n: z.number().int().min(1).max(20).default(3),
          })
          .prefault({})
          .refine((f) => f.m <= f.n, { message: 'm must not exceed n', path: ['m'] }),
        /**
         * Compare with this group's own history: fire only when the value is also `factor` times
         * worse than an exponentially weighted average of earlier windows (weight `alpha`).
         */
        baseline: z
          .strictObject({
            enabled: z.boolean().default(false),
            factor: z.number().gt(1).max(100).default(2),
            alpha: z.number().gt(0).lte(1).default(0.2),
          })
          .prefault({}),
      })
      // Generic over the extra fields, so TypeScript cannot see that {} satisfies them: they all have defaults.
      .prefault({} as never)
  );
}

const windowedRulesSchema = z
  .strictObject({
    /** Share of calls with packet loss >= perCallThresholdPct (or mean/p95 loss, in %). */
    'packet-loss-spike': windowedRule(
      {
        groupBy: ['trunk_domain'],
        aggregate: 'share',
        threshold: 0.2,
        recovery: 0.1,
        severity: 'critical',
      },
      { perCallThresholdPct: z.number().gt(0).lte(100).default(0.9) },
    ),
    /** Share of calls with a quality score below `below`. */
    'low-quality-share': windowedRule(
      {
        groupBy: ['trunk_domain'],
        aggregate: 'share',
        threshold: 0.2,
        recovery: 0.1,
        severity: 'warning',
      },
      { below: z.number().gt(1).lte(5).default(3) },
    ),
    /** Share (or count) of calls Zentrunk hung up with a code not in rules.zentrunk-hangup.ignoreCodes. */
    'zentrunk-hangup-share': windowedRule(
      {
        groupBy: ['trunk_domain'],
        aggregate: 'share',
        threshold: 0.05,
        recovery: 0.02,
        severity: 'critical',
      },
      {},
    ),
    /** Share of STIR/SHAKEN Not Verified calls, e.g. per trunk or per caller-ID prefix (from_prefix). */
    'stir-unverified-share': windowedRule(
      {
        groupBy: ['trunk_domain'],
        aggregate: 'share',
        threshold: 0.3,
        recovery: 0.15,
        severity: 'warning',
      },
      {},
    ),
    /** Answer-seizure ratio (answered / attempted) per destination: fires at or BELOW the threshold. */
    'answer-seizure-ratio': windowedRule(
      {
        groupBy: ['to_country'],
        aggregate: 'share',
        threshold: 0.4,
        recovery: 0.5,
        severity: 'warning',
      },
      {},
    ),
    /** Post-dial delay per destination, in ms (p95 by default). */
    'post-dial-delay-p95': windowedRule(
      {
        groupBy: ['to_country'],
        aggregate: 'p95',
        threshold: 6000,
        recovery: 4500,
        severity: 'warning',
      },
      {},
    ),
  })
  .prefault({});
export type WindowedRulesConfig = z.infer<typeof windowedRulesSchema>;

export const alertConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  poll: pollSchema,
  plivo: plivoSchema,
  accounts: accountsSchema,
  rules: rulesSchema.prefault({}),
  state: stateSchema,
  notifications: notificationsSchema,
  operations: operationsSchema,
  grouping: groupingSchema,
  windowedRules: windowedRulesSchema,
  silences: silencesSchema,
});

export type AlertConfig = z.infer<typeof alertConfigSchema>;
export type AlertConfigInput = z.input<typeof alertConfigSchema>;
