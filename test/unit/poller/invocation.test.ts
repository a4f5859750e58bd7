/**
 * What starts a run. The scheduled event's envelope is checked by a zod/mini copy of Powertools
 * Parser's EventBridgeSchema (the original would add zod classic to the bundle): here the two
 * must give the same verdict on AWS's documented events and on every variation of them.
 */
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import * as fc from 'fast-check';
import {
  accountNamedIn,
  describeInvalidInvocation,
  eventBridgeEventSchema,
  invocationSchema,
} from '../../../functions/poller/invocation';
import { DOCUMENTED_SCHEDULED_EVENT, stackScheduleInput } from '../../support/eventbridge';

/** The example in Powertools Parser's EventBridgeSchema (its doc comment), an EC2 state change. */
const POWERTOOLS_EXAMPLE = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { instance_id: 'i-1234567890abcdef0', state: 'terminated' },
  'replay-name': 'replay_archive',
};

const verdicts = (event: unknown) => ({
  powertools: EventBridgeSchema.safeParse(event).success,
  ours: eventBridgeEventSchema.safeParse(event).success,
});

describe("the scheduled event's envelope", () => {
  it.each([
    ['the Lambda Developer Guide scheduled event', DOCUMENTED_SCHEDULED_EVENT],
    ["Powertools Parser's own example", POWERTOOLS_EXAMPLE],
  ])('accepts %s, as Powertools does', (_, event) => {
    expect(verdicts(event)).toEqual({ powertools: true, ours: true });
  });

  it('gives the same verdict as Powertools on every field missing, mistyped or reshaped', () => {
    const base = POWERTOOLS_EXAMPLE as Record<string, unknown>;
    const variants: unknown[] = [null, 'text', [], {}, 42];
    for (const field of Object.keys(base)) {
      const { [field]: _dropped, ...rest } = base;
      variants.push(rest);
      for (const value of [
        null,
        1,
        '',
        'x',
        [],
        ['a'],
        [1],
        {},
        true,
        '2017-12-22T18:43:48.123Z',
        '2017-12-22 18:43:48',
      ]) {
        variants.push({ ...base, [field]: value });
      }
    }
    for (const time of [
      '2017-12-22T18:43:48+00:00',
      '2017-12-22T18:43:48',
      '2017-12-22',
      'yesterday',
      '2017-13-40T99:43:48Z',
    ]) {
      variants.push({ ...base, time });
    }
    variants.push({ ...base, extra: 'kept' });
    const differing = variants.filter((event) => {
      const v = verdicts(event);
      return v.powertools !== v.ours;
    });
    expect(differing).toEqual([]);
    // Both refuse plenty of them: the comparison is not between two schemas that accept anything.
    expect(variants.filter((event) => !verdicts(event).ours).length).toBeGreaterThan(50);
  });

  it('agrees with Powertools on generated events', () => {
    const field = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
    );
    const event = fc.record(
      {
        version: field,
        id: field,
        source: field,
        account: field,
        time: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          field,
        ),
        region: field,
        resources: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), field),
        'detail-type': field,
        detail: fc.anything(),
        'replay-name': fc.oneof(fc.string(), field),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(event, (e) => {
        const v = verdicts(e);
        expect(v.ours).toBe(v.powertools);
      }),
      { numRuns: 2000, seed: 16 },
    );
  });
});

describe('invocation', () => {
  it("reads the stack's schedule input: the account it names, when the tick fired", () => {
    const input = stackScheduleInput('acme', new Date('2026-12-03T12:00:00Z'));
    expect(invocationSchema.parse(input)).toEqual({
      plivoAccount: 'acme',
      scheduledAt: '2026-12-03T12:00:00Z',
      source: 'schedule',
    });
  });

  it("reads EventBridge's own event as the default account's, whatever its account (the AWS one)", () => {
    expect(invocationSchema.parse(DOCUMENTED_SCHEDULED_EVENT)).toEqual({
      plivoAccount: undefined,
      scheduledAt: '2019-03-01T01:23:45Z',
      source: 'scheduled-event',
    });
  });

  it('reads a manual invocation: {} or one naming the account', () => {
    expect(invocationSchema.parse({})).toEqual({
      plivoAccount: undefined,
      scheduledAt: null,
      source: 'manual',
    });
    expect(invocationSchema.parse({ plivoAccount: 'acme' })).toMatchObject({
      plivoAccount: 'acme',
      source: 'manual',
    });
  });

  it('reads the input of account rules from before plivoAccount, but never an AWS account id as a Plivo account', () => {
    expect(invocationSchema.parse({ account: 'acme', time: '2026-12-03T12:00:00Z' })).toEqual({
      plivoAccount: 'acme',
      scheduledAt: '2026-12-03T12:00:00Z',
      source: 'legacy-input',
    });
    expect(
      invocationSchema.safeParse({ account: '123456789012', time: '2026-12-03T12:00:00Z' }).success,
    ).toBe(false);
    // The AWS account of a scheduled event is never read, even when the event is otherwise broken.
    const { resources: _r, ...broken } = DOCUMENTED_SCHEDULED_EVENT;
    expect(invocationSchema.safeParse(broken).success).toBe(false);
  });

  it.each([
    ['text', 'go', /a string/],
    ['a list', [1], /a list/],
    ['unknown fields', { plivoAccount: 'acme', extra: 1 }, /fields "plivoAccount", "extra"/],
    ['a schedule without its event', { plivoAccount: 'acme', schedule: {} }, /schedule\.version/],
    [
      'a broken scheduled event',
      { ...DOCUMENTED_SCHEDULED_EVENT, time: 'soon' },
      /time: Invalid ISO datetime/,
    ],
    ['an AWS account id in account', { account: '123456789012' }, /account: is an AWS account id/],
    [
      'an EventBridge event that is not a schedule (an S3 notification)',
      { ...POWERTOOLS_EXAMPLE, source: 'aws.s3', 'detail-type': 'Object Created' },
      /is not a scheduled event/,
    ],
    [
      'a schedule input carrying another kind of event',
      { plivoAccount: 'acme', schedule: POWERTOOLS_EXAMPLE },
      /schedule: is not a scheduled event/,
    ],
    [
      'a legacy input with a time that is not one',
      { account: 'acme', time: 'garbage' },
      /time: Invalid ISO datetime/,
    ],
  ])('refuses %s, naming what is wrong and what is expected', (_, event, pattern) => {
    expect(invocationSchema.safeParse(event).success).toBe(false);
    const message = describeInvalidInvocation(event);
    expect(message).toMatch(pattern);
    expect(message).toContain('Expected: a schedule rule of the stack sends {"plivoAccount"');
  });

  it('names the account an unreadable event was meant for, when it plainly says, never an AWS id', () => {
    expect(accountNamedIn({ plivoAccount: 'acme', schedule: {} })).toBe('acme');
    expect(accountNamedIn({ account: 'acme', time: 'garbage' })).toBe('acme');
    expect(accountNamedIn({ ...DOCUMENTED_SCHEDULED_EVENT, time: 'x' })).toBeUndefined();
    expect(accountNamedIn({ account: '123456789012' })).toBeUndefined();
    expect(accountNamedIn('acme')).toBeUndefined();
  });

  it('never repeats the values of an event it refuses', () => {
    const message = describeInvalidInvocation({
      plivoAccount: 'secret-token-value',
      token: 'hunter2hunter2',
    });
    expect(message).not.toContain('hunter2hunter2');
    expect(message).not.toContain('secret-token-value');
    expect(describeInvalidInvocation({ ['k'.repeat(5000)]: 1 }).length).toBeLessThanOrEqual(700);
  });
});
