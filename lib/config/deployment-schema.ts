import { TRAFFIC_RULE_IDS } from '../../functions/core/traffic/traffic-config';
import * as z from 'zod';
import { DEFAULT_PLIVO_API_BASE_URL } from '../../functions/core/contract';
import {
  accountNameSchema,
  RULE_IDS,
  severitySchema,
  WINDOWED_RULE_IDS,
} from '../../functions/core/config/schema';

/**
 * The `deployment` section of `config/<stage>.json`: everything the CDK app needs and the
 * poller does not. It lives with the CDK code: the function neither sees the section nor ships
 * this schema (the poller sets the section aside unread; see loadConfigFile). Free of CDK
 * imports so the CLI and `npm start` can validate whole files with it too.
 */

const PARTITION = 'aws(?:-cn|-us-gov)?';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';

function arnOf(service: string, resource: string, what: string) {
  return z
    .string()
    .regex(new RegExp(`^arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${resource}$`), `must be ${what}`);
}

const topicArn = arnOf(
  'sns',
  '[A-Za-z0-9_-]{1,256}',
  'an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:alerts',
);
const kmsKeyArn = arnOf(
  'kms',
  'key/[A-Za-z0-9-]+',
  'a KMS key ARN like arn:aws:kms:us-east-1:123456789012:key/…',
);
const sqsQueueArn = arnOf(
  'sqs',
  '[A-Za-z0-9_-]{1,80}',
  'an SQS queue ARN like arn:aws:sqs:us-east-1:123456789012:alerts',
);
const secretCompleteArn = arnOf(
  'secretsmanager',
  'secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}',
  'a complete secret ARN, with the six-character suffix AWS adds: ' +
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:plivo-AbCdEf (or give existingSecretName)',
);
const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name (letters, digits, /_+=.@-)');

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** SNS message attributes the notifier sets; a filter policy may only name these. */
const filterPolicySchema = z
  .strictObject({
    severity: z.array(severitySchema).min(1).optional(),
    rule: z
      .array(
        z.enum([...RULE_IDS, ...WINDOWED_RULE_IDS, ...TRAFFIC_RULE_IDS, 'catch-up-summary', 'poller-health']),
      )
      .min(1)
      .optional(),
    trunk_domain: z.array(z.string().min(1)).min(1).optional(),
    state: z
      .array(z.enum(['firing', 'resolved']))
      .min(1)
      .optional(),
    direction: z
      .array(z.enum(['inbound', 'outbound']))
      .min(1)
      .optional(),
    to_country: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO country code like "GB"'))
      .min(1)
      .optional(),
    /** Set on the messages of every account but the default one (checked against `accounts`). */
    account: z.array(accountNameSchema).min(1).optional(),
  })
  .refine((policy) => Object.keys(policy).length > 0, 'must name at least one attribute')
  .refine((policy) => Object.keys(policy).length <= 5, 'SNS allows at most 5 attributes in one filter policy')
  .refine(
    // SNS rejects a filter policy with more than 150 value combinations.
    (policy) => Object.values(policy).reduce((product, values) => product * (values?.length ?? 1), 1) <= 150,
    'SNS allows at most 150 combinations of values in one filter policy',
  )
  .describe(
    'Deliver only messages whose attributes match: every attribute named must have one of the listed values.',
  );
export type SubscriptionFilterPolicy = z.infer<typeof filterPolicySchema>;

const subscriptionBase = { filterPolicy: filterPolicySchema.optional() };
const rawMessageDelivery = z
  .boolean()
  .default(false)
  .describe('Deliver the message body alone instead of the SNS envelope.');

const subscriptionSchema = z.discriminatedUnion('protocol', [
  z.strictObject({
    protocol: z.literal('email'),
    endpoint: z.email('must be an email address'),
    ...subscriptionBase,
  }),
  z.strictObject({
    protocol: z.literal('sms'),
    endpoint: z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 phone number, e.g. +14155550123'),
    ...subscriptionBase,
  }),
  z.strictObject({
    protocol: z.literal('https'),
    endpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
    rawMessageDelivery,
    ...subscriptionBase,
  }),
  z.strictObject({
    protocol: z.literal('sqs'),
    endpoint: sqsQueueArn.describe(
      "The queue's ARN. Its queue policy (and KMS key, if any) must let this topic send to it.",
    ),
    rawMessageDelivery,
    ...subscriptionBase,
  }),
]);
export type AlertSubscription = z.infer<typeof subscriptionSchema>;

const alertTopicSchema = z
  .strictObject({
    existingTopicArn: topicArn
      .optional()
      .describe('Publish to this topic instead of creating one; the stack then only grants publish.'),
    existingTopicKmsKeyArn: kmsKeyArn
      .optional()
      .describe('The customer managed KMS key that encrypts the existing topic, if any.'),
    subscriptions: z
      .array(subscriptionSchema)
      .default([])
      .describe('Subscriptions to the topic this stack creates (email, sms, https, sqs).'),
  })
  .prefault({})
  .superRefine((topic, ctx) => {
    if (topic.existingTopicArn && topic.subscriptions.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['subscriptions'],
        message: 'subscribe to an existing topic where it is managed; leave subscriptions empty here',
      });
    }
    if (topic.existingTopicKmsKeyArn && !topic.existingTopicArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['existingTopicKmsKeyArn'],
        message: 'only applies together with existingTopicArn',
      });
    }
    const seen = new Set<string>();
    topic.subscriptions.forEach((subscription, index) => {
      const key = `${subscription.protocol}:${subscription.endpoint}`;
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['subscriptions', index, 'endpoint'],
          message: `duplicate subscription ${key}`,
        });
      }
      seen.add(key);
    });
  });

const plivoCredentialsSchema = z
  .strictObject({
    existingSecretArn: secretCompleteArn
      .optional()
      .describe('Use this existing secret (its complete ARN, with the six-character suffix).'),
    existingSecretName: secretName
      .optional()
      .describe("Use this existing secret, found by name in the stack's account and region."),
    existingSecretKmsKeyArn: kmsKeyArn
      .optional()
      .describe('The customer managed KMS key of the existing secret, if not the AWS managed one.'),
    newSecretName: secretName
      .optional()
      .describe('Name of the placeholder secret the stack creates otherwise (default: generated).'),
  })
  .prefault({})
  .superRefine((secret, ctx) => {
    const given = (['existingSecretArn', 'existingSecretName', 'newSecretName'] as const).filter(
      (key) => secret[key] !== undefined,
    );
    if (given.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [given[1] ?? ''],
        message: `give only one of existingSecretArn, existingSecretName, newSecretName (got ${given.join(', ')})`,
      });
    }
    if (secret.existingSecretKmsKeyArn && !secret.existingSecretArn && !secret.existingSecretName) {
      ctx.addIssue({
        code: 'custom',
        path: ['existingSecretKmsKeyArn'],
        message: 'only applies together with existingSecretArn or existingSecretName',
      });
    }
  });

/** The poller's log levels a deployment can choose; see `function.logLevel`. */
export const POLLER_LOG_LEVELS = ['DEBUG', 'INFO'] as const;

const functionSchema = z
  .strictObject({
    memoryMb: z
      .number()
      .int()
      .min(128)
      .max(10_240)
      .default(256)
      .describe(
        'Lambda memory in MB; V8 gets a quarter of it (docs/performance.md, "Keeping up": peak RSS by npm run bench).',
      ),
    timeoutSeconds: z
      .number()
      .int()
      .min(30)
      .max(900)
      .optional()
      .describe(
        'Lambda timeout; must be shorter than the schedule interval. Default: the interval less 10 s, at most 240 ' +
          '(50 at the default 1-minute schedule, 240 at 5 minutes).',
      ),
    logRetentionDays: z.literal(LOG_RETENTION_DAYS).default(30).describe("Days the poller's logs are kept."),
    // Not WARN or ERROR: Lambda files a log line without a level (each metrics document) under
    // INFO, so above INFO it would drop the poller's metrics, and the alarms would fire.
    logLevel: z
      .enum(POLLER_LOG_LEVELS)
      .default('INFO')
      .describe(
        "The function's application log level (Lambda's logging config): DEBUG adds the debug lines.",
      ),
  })
  .prefault({});

const operationsSchema = z
  .strictObject({
    topic: z
      .enum(['new', 'alert-topic', 'existing'])
      .default('new')
      .describe(
        'Where alarms about the poller itself go: a new topic (see emails), the alert topic, or an existing topic.',
      ),
    existingTopicArn: topicArn.optional().describe('The topic to use when topic is "existing".'),
    emails: z
      .array(z.email('must be an email address'))
      .default([])
      .describe('Email subscriptions to the new operations topic.'),
    noSuccessfulPollMinutes: z
      .number()
      .int()
      .min(2)
      .max(24 * 60)
      .default(30)
      .describe('Alarm when no run has succeeded for this long (at least two schedule intervals).'),
    plivoThrottledMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15)
      .describe('Alarm when Plivo has answered 429 in every run for this long.'),
    durationAlarmPercent: z
      .number()
      .int()
      .min(10)
      .max(100)
      .default(80)
      .describe("Alarm when a run's duration reaches this share of the function timeout."),
  })
  .prefault({})
  .superRefine((ops, ctx) => {
    if (ops.topic === 'existing' && !ops.existingTopicArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['existingTopicArn'],
        message: 'required when topic is "existing"',
      });
    }
    if (ops.topic !== 'existing' && ops.existingTopicArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['existingTopicArn'],
        message: 'only applies when topic is "existing"',
      });
    }
    if (ops.topic !== 'new' && ops.emails.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['emails'],
        message: 'only applies when topic is "new" (subscribe to the other topic where it is managed)',
      });
    }
  });

const stateTableSchema = z
  .strictObject({
    deletionProtection: z
      .boolean()
      .default(true)
      .describe(
        'DynamoDB deletion protection on the state table (cursor and dedup records): it cannot be ' +
          'deleted, by hand or otherwise, until this is turned off. On unless set to false.',
      ),
  })
  .prefault({});

/** How often the poller runs when the config does not say (`scheduleMinutes`). */
export const DEFAULT_SCHEDULE_MINUTES = 1;

export const deploymentConfigSchema = z
  .strictObject({
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and hold only letters, digits and -')
      .optional()
      .describe('CloudFormation stack name (default: zentrunk-alerts-<stage>).'),
    tags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      .default({})
      .describe('Tags for every resource of the stack.'),
    scheduleMinutes: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(DEFAULT_SCHEDULE_MINUTES)
      .describe(
        'How often the poller runs: every minute by default (alerts within about a minute and a half of the call; docs/performance.md, "Time to page").',
      ),
    function: functionSchema,
    plivoApiBaseUrl: z
      .url({ protocol: /^https$/, error: 'must be an https:// URL' })
      .default(DEFAULT_PLIVO_API_BASE_URL)
      .describe("Plivo's API base URL."),
    plivoCredentials: plivoCredentialsSchema.describe(
      'The Plivo credentials secret of the default account (the only one without `accounts`).',
    ),
    accounts: z
      .record(accountNameSchema, plivoCredentialsSchema)
      .default({})
      .describe(
        'The credentials secret of each listed account but "default" (which uses plivoCredentials), by account ' +
          'name; an account left out gets a new placeholder secret.',
      ),
    alertTopic: alertTopicSchema,
    stateTable: stateTableSchema,
    operations: operationsSchema,
  })
  .superRefine((deployment, ctx) => {
    const intervalSeconds = deployment.scheduleMinutes * 60;
    if (deployment.function.timeoutSeconds === undefined) return checkAlarmSpan(deployment, ctx);
    // A run that could outlast the interval would overlap the next one of its account (the
    // reserved concurrency, one per account, would throttle it), so the timeout has to fit
    // inside the interval.
    if (deployment.function.timeoutSeconds >= intervalSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['function', 'timeoutSeconds'],
        message: `must be shorter than the schedule interval (scheduleMinutes ${deployment.scheduleMinutes} = ${intervalSeconds} s)`,
      });
    }
    checkAlarmSpan(deployment, ctx);
  })
  .transform((deployment) => ({
    ...deployment,
    function: {
      ...deployment.function,
      timeoutSeconds: deployment.function.timeoutSeconds ?? defaultTimeoutSeconds(deployment.scheduleMinutes),
    },
  }));

/**
 * The function's timeout when the config does not set one: the schedule interval less 10 s (the
 * next run must find the last one over), at most 240 s (a run saves its progress slice by
 * slice; the next one goes on).
 */
export function defaultTimeoutSeconds(scheduleMinutes: number): number {
  return Math.min(240, scheduleMinutes * 60 - 10);
}

/** One missed run is normal jitter; the no-successful-poll alarm needs at least two intervals to mean anything. */
function checkAlarmSpan(
  deployment: { scheduleMinutes: number; operations: { noSuccessfulPollMinutes: number } },
  ctx: z.RefinementCtx,
): void {
  if (deployment.operations.noSuccessfulPollMinutes < 2 * deployment.scheduleMinutes) {
    ctx.addIssue({
      code: 'custom',
      path: ['operations', 'noSuccessfulPollMinutes'],
      message: `must be at least two schedule intervals (${2 * deployment.scheduleMinutes} minutes)`,
    });
  }
}

export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;
export type DeploymentConfigInput = z.input<typeof deploymentConfigSchema>;
