import { z } from 'zod';

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

const ruleBase = {
  enabled: z.boolean().default(true),
  scope: scopeSchema.default({}),
};

const rulesSchema = z.strictObject({
  'low-quality-score': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      /** Fires when plivo_quality_score < below (a score of exactly `below` does not fire). */
      below: z.number().gt(1).lte(5).default(3),
      /** Escalates to critical when the score is below this (Plivo: 1–2 is "poor"). */
      criticalBelow: z.number().gt(1).lte(5).optional().default(2),
    })
    .prefault({})
    .refine((r) => r.criticalBelow <= r.below, {
      message: 'criticalBelow must not be above below',
      path: ['criticalBelow'],
    }),
  'packet-loss': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      /** Percent. Plivo grades packet loss of 0.9 % or more as bad. Fires at or above. */
      thresholdPct: z.number().gt(0).lte(100).default(0.9),
      /** Percent. Escalates to critical at or above (Twilio tags carriers above 5 %). */
      criticalPct: z.number().gt(0).lte(100).optional().default(5),
    })
    .prefault({})
    .refine((r) => r.criticalPct >= r.thresholdPct, {
      message: 'criticalPct must not be below thresholdPct',
      path: ['criticalPct'],
    }),
  'zentrunk-hangup': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('critical'),
      /**
       * Hangup cause codes that never alert even when Zentrunk hung up. Default: normal
       * hangups and the outcomes Plivo calls normal (busy, temporarily unavailable, cancelled).
       */
      ignoreCodes: z.array(z.number().int().min(1000).max(9999)).default([3000, 3010, 4410, 4340, 4550]),
    })
    .prefault({}),
  'stir-unverified': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
    })
    .prefault({}),
  'high-jitter': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      /** Milliseconds. Plivo, Twilio and Cisco grade 30 ms or more as bad. Fires at or above. */
      thresholdMs: z.number().gt(0).default(30),
    })
    .prefault({}),
  'high-rtt': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('warning'),
      /** Milliseconds. Plivo grades RTT above 300 ms as bad. Fires above. */
      thresholdMs: z.number().gt(0).default(300),
    })
    .prefault({}),
  'high-post-dial-delay': z
    .strictObject({
      ...ruleBase,
      severity: severitySchema.default('info'),
      /** Milliseconds from initiation to ringing. 4–5 s is the expected ceiling. Fires above. */
      thresholdMs: z.number().gt(0).default(5000),
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

const plivoSchema = z
  .strictObject({
    /** Share of Plivo's 300 requests / 5 s per account this poller may use. */
    maxRequestsPer5s: z.number().int().min(1).max(300).default(60),
    /** Insights requests in flight at once. */
    insightsConcurrency: z.number().int().min(1).max(50).default(4),
    requestTimeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** Attempts per request for 429, 5xx, network errors and timeouts (first try included). */
    maxAttempts: z.number().int().min(1).max(10).default(5),
    /** Optional server-side filters for the calls list (never sent empty). */
    callFilters: z
      .strictObject({
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
      })
      .prefault({}),
  })
  .prefault({});

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

export const alertConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  poll: pollSchema,
  plivo: plivoSchema,
  rules: rulesSchema.prefault({}),
  state: stateSchema,
  notifications: notificationsSchema,
  operations: operationsSchema,
});

export type AlertConfig = z.infer<typeof alertConfigSchema>;
export type AlertConfigInput = z.input<typeof alertConfigSchema>;
