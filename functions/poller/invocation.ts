import * as z from 'zod/mini';
import '../core/zod-locale';
import { AlerterError, type FailureKind } from '../core/errors';
import { cutText } from '../core/untrusted-text';

/**
 * What starts a poll run, and which Plivo account it is for.
 *
 * The Plivo account never comes from a field EventBridge owns: EventBridge's own event has a
 * top-level `account`, the AWS account id, which once reached the poller as a Plivo account name
 * and failed every scheduled run of a deployment without `accounts`. So:
 * - every schedule rule of the stack (the default account's included) sends
 *   `{"plivoAccount": "<name>", "schedule": <the scheduled event, untouched>}`
 *   (lib/poll-schedule.ts), a field name EventBridge does not use;
 * - the scheduled event itself (a rule with no input: a stack deployed before this, or the
 *   console's "Scheduled Event" test) is for the default account; its `account` is ignored;
 * - a manual invocation is `{}` (the default account) or `{"plivoAccount": "<name>"}`;
 * - `{"account": "<name>", "time": …}`, the input of account rules deployed before this, is read
 *   during the upgrade only when `account` is not an AWS account id (12 digits).
 *
 * The scheduled event is checked against EventBridge's envelope as Powertools Parser's
 * `EventBridgeSchema` (@aws-lambda-powertools/parser/schemas/eventbridge) defines it, field for
 * field, written with zod/mini: Powertools' schema is built with zod classic, which would add
 * ~416 KB to the bundle. test/unit/poller/invocation.test.ts holds the two to the same verdicts.
 */
export const eventBridgeEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});

export type EventBridgeEvent = z.infer<typeof eventBridgeEventSchema>;

/**
 * A schedule's tick: EventBridge's envelope from a scheduled rule (`source` aws.events,
 * `detail-type` Scheduled Event). Any other event (an S3 notification routed here by mistake)
 * starts no run.
 */
const scheduledTick = eventBridgeEventSchema.check(
  z.refine((event) => event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event', {
    message: 'is not a scheduled event (source "aws.events", detail-type "Scheduled Event")',
  }),
);

/** An AWS account id: what `account` holds in every EventBridge event. */
const AWS_ACCOUNT_ID = /^\d{12}$/;

const plivoAccountName = z.string().check(z.minLength(1), z.maxLength(64));

export type InvocationSource = 'schedule' | 'scheduled-event' | 'manual' | 'legacy-input';

export interface Invocation {
  /** The Plivo account asked for; undefined: the default account. */
  plivoAccount: string | undefined;
  /** When the schedule fired (the scheduled event's time); null for a manual run. */
  scheduledAt: string | null;
  source: InvocationSource;
}

/** The stack's schedule input: the account, and EventBridge's event as it came. */
const scheduleInput = z.pipe(
  z.strictObject({ plivoAccount: plivoAccountName, schedule: scheduledTick }),
  z.transform((input): Invocation => ({
    plivoAccount: input.plivoAccount,
    scheduledAt: input.schedule.time,
    source: 'schedule',
  })),
);

/** EventBridge's own event (a rule without input): the default account, `account` ignored. */
const scheduledEvent = z.pipe(
  scheduledTick,
  z.transform((event): Invocation => ({
    plivoAccount: undefined,
    scheduledAt: event.time,
    source: 'scheduled-event',
  })),
);

const manualInput = z.pipe(
  z.strictObject({ plivoAccount: z.optional(plivoAccountName) }),
  z.transform((input): Invocation => ({
    plivoAccount: input.plivoAccount,
    scheduledAt: null,
    source: 'manual',
  })),
);

/** Account rules deployed before `plivoAccount`: `{"account": "<name>", "time": …}`. */
const legacyInput = z.pipe(
  z.strictObject({
    account: plivoAccountName.check(z.refine((name) => !AWS_ACCOUNT_ID.test(name), 'is an AWS account id')),
    time: z.optional(z.iso.datetime()),
  }),
  z.transform((input): Invocation => ({
    plivoAccount: input.account,
    scheduledAt: input.time ?? null,
    source: 'legacy-input',
  })),
);

export const invocationSchema = z.union([scheduleInput, scheduledEvent, manualInput, legacyInput]);

/** What a run may be started with, for messages. */
export const INVOCATION_FORMS =
  'a schedule rule of the stack sends {"plivoAccount": "<name>", "schedule": <the scheduled event>}; ' +
  'a manual invocation sends {} (the default account) or {"plivoAccount": "<name>"}';

/** The run was started with an event it cannot read, or for an account its config does not watch. */
export class InvocationError extends AlerterError {
  override name = 'InvocationError';
  override readonly failure: FailureKind = 'invocation-invalid';
}

/**
 * The Plivo account an event it cannot read was meant for, when it names one plainly
 * (`plivoAccount`, or `account` not an AWS id, as a string): its failure is then that account's.
 */
export function accountNamedIn(event: unknown): string | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const fields = event as Record<string, unknown>;
  const named = fields.plivoAccount ?? ('source' in fields ? undefined : fields.account);
  return typeof named === 'string' && !AWS_ACCOUNT_ID.test(named) ? named : undefined;
}

/** The form `event` was meant to be, by the fields it has, so that its issues can be named. */
function intendedForm(event: unknown) {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return manualInput;
  const fields = event as Record<string, unknown>;
  if ('schedule' in fields) return scheduleInput;
  if ('source' in fields || 'detail-type' in fields || 'detail' in fields) return scheduledEvent;
  if ('account' in fields) return legacyInput;
  return manualInput;
}

/**
 * Why `event` is not an invocation, in one line naming its fields and what is wrong with them
 * (never their values: the event may carry anything).
 */
export function describeInvalidInvocation(event: unknown): string {
  const shape =
    event === null || typeof event !== 'object' || Array.isArray(event)
      ? `a ${event === null ? 'null' : Array.isArray(event) ? 'list' : typeof event}`
      : Object.keys(event).length === 0
        ? 'an object with no fields'
        : `an object with fields ${cutText(
            Object.keys(event)
              .slice(0, 12)
              .map((k) => JSON.stringify(cutText(k, 40, '…')))
              .join(', '),
            300,
            '…',
          )}`;
  const result = intendedForm(event).safeParse(event);
  const details = result.success
    ? ''
    : result.error.issues
        .slice(0, 6)
        .map(
          (issue) =>
            `${issue.path.length > 0 ? issue.path.map((p) => cutText(String(p), 40, '…')).join('.') : '(event)'}: ${issue.message}`,
        )
        .join('; ');
  return cutText(
    `The poller was started with an event it cannot read (${shape}${details ? `: ${details}` : ''}). Expected: ${INVOCATION_FORMS}.`,
    700,
    '…',
  );
}
