import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  DynamoDbStateStore,
  packEnds,
  packUuids,
  StateStoreError,
  unpackEnds,
  unpackUuids,
} from '../../../functions/adapters/dynamodb/dynamodb-state-store';
import { makeCall } from '../../support/calls';

const TABLE = 'zentrunk-state-test';
const NOW_MS = Date.parse('2024-01-15T15:00:00.000Z');
const NOW_SEC = NOW_MS / 1000;
const RANGE = { from: new Date(NOW_MS - 600_000), to: new Date(NOW_MS - 300_000) };

const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(documentClient);

let sleeps: number[];
function makeStore(options: { maxBatchAttempts?: number } = {}) {
  sleeps = [];
  return new DynamoDbStateStore({
    tableName: TABLE,
    client: documentClient,
    now: () => NOW_MS,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
}

function conditionFailed(item?: Record<string, unknown>) {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item as ConditionalCheckFailedException['Item'] } : {}),
  });
}

const claimOpts = { nowMs: NOW_MS, inProgressUntilMs: NOW_MS + 60_000, expiresAtSec: NOW_SEC + 86_400 };

beforeEach(() => {
  ddb.reset();
});

describe('claimAlert', () => {
  it('claims with one conditional update covering absent, expired, stale in-progress and refused records', async () => {
    ddb.on(UpdateCommand).resolves({});
    await expect(makeStore().claimAlert('rule:abc', claimOpts)).resolves.toBe('claimed');
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { pk: 'alert#rule:abc', sk: 'alert' },
      ConditionExpression:
        'attribute_not_exists(#pk) OR #ttl < :nowSec OR (#status = :inProgress AND #until < :nowMs) OR #status = :rejected',
      ExpressionAttributeValues: expect.objectContaining({
        ':nowSec': NOW_SEC,
        ':nowMs': NOW_MS,
        ':untilMs': NOW_MS + 60_000,
        ':expiresAt': NOW_SEC + 86_400,
        ':inProgress': 'IN_PROGRESS',
        ':rejected': 'REJECTED',
      }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('tells already-sent, in-progress and dead-letter apart from the failed update alone', async () => {
    const store = makeStore();
    ddb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed({ status: { S: 'COMPLETED' } }))
      .rejectsOnce(conditionFailed({ status: { S: 'IN_PROGRESS' } }))
      .rejectsOnce(conditionFailed({ status: { S: 'DEAD_LETTER' } }));
    await expect(store.claimAlert('k', claimOpts)).resolves.toBe('already-sent');
    await expect(store.claimAlert('k', claimOpts)).resolves.toBe('in-progress');
    await expect(store.claimAlert('k', claimOpts)).resolves.toBe('dead-letter');
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('falls back to a consistent read when the server returns no old item', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { pk: 'alert#k', sk: 'alert', status: 'COMPLETED' } });
    await expect(makeStore().claimAlert('k', claimOpts)).resolves.toBe('already-sent');
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      Key: { pk: 'alert#k', sk: 'alert' },
      ConsistentRead: true,
    });
  });

  it('wraps other failures in a StateStoreError naming the operation and table', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    ddb.on(UpdateCommand).rejects(throttled);
    const error = await makeStore()
      .claimAlert('k', claimOpts)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error).toMatchObject({ operation: 'claimAlert', tableName: TABLE, kind: 'request-failed' });
    expect((error as Error).message).toBe(
      `State store claimAlert on DynamoDB table ${TABLE} failed: ProvisionedThroughputExceededException: Rate exceeded`,
    );
  });
});

describe('completeAlert and releaseAlert', () => {
  it('completes unconditionally with the message id', async () => {
    ddb.on(UpdateCommand).resolves({});
    await makeStore().completeAlert('k', { nowMs: NOW_MS, messageId: 'm-1', expiresAtSec: NOW_SEC + 10 });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'alert#k', sk: 'alert' },
      ExpressionAttributeValues: {
        ':completed': 'COMPLETED',
        ':messageId': 'm-1',
        ':nowMs': NOW_MS,
        ':expiresAt': NOW_SEC + 10,
      },
    });
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBeUndefined();
  });

  it('releases only its own in-progress claim and ignores a failed condition', async () => {
    const store = makeStore();
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).rejects(conditionFailed());
    await store.claimAlert('k', claimOpts);
    await expect(store.releaseAlert('k')).resolves.toBe(0);
    const claimId = ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':claimId'];
    expect(typeof claimId).toBe('string');
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'alert#k', sk: 'alert' },
      ConditionExpression: '#status = :inProgress AND #claimId = :claimId',
      ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':claimId': claimId },
    });
  });

  it('counts a refusal on the record instead of deleting it, and returns the count', async () => {
    const store = makeStore();
    ddb
      .on(UpdateCommand)
      .resolvesOnce({})
      .resolvesOnce({ Attributes: { rejections: 2 } });
    await store.claimAlert('k', claimOpts);
    await expect(store.releaseAlert('k', { reason: 'InvalidParameter: too long' })).resolves.toBe(2);
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
    const release = ddb.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(release?.UpdateExpression).toContain('ADD rejections :one');
    expect(release?.ExpressionAttributeValues).toMatchObject({
      ':rejected': 'REJECTED',
      ':reason': 'InvalidParameter: too long',
    });
  });
});

describe('dead letters and the outbox', () => {
  it('sets a notice aside: a listing entry, then the record marked DEAD_LETTER', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    await makeStore().deadLetterAlert('k', {
      subject: 'S',
      reason: 'InvalidParameter',
      rejections: 3,
      nowMs: NOW_MS,
      expiresAtSec: NOW_SEC + 10,
    });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'deadletter#poller', sk: 'k', reported: false, rejections: 3 }),
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'alert#k', sk: 'alert' },
      ExpressionAttributeValues: expect.objectContaining({ ':deadLetter': 'DEAD_LETTER' }),
    });
  });

  it('skips an outbox entry without a message (never sends nothing), and reports it', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ pk: 'outbox#poller', sk: 'k', covers: [] }] });
    const store = makeStore();
    await expect(store.listOutbox()).resolves.toEqual([]);
    expect(store.takeUnreadable()).toEqual([
      { operation: 'listOutbox', item: 'outbox k', reason: 'the outbox entry has no message' },
    ]);
  });
});

describe('saveCursor', () => {
  it('creates the first cursor only if none exists', async () => {
    ddb.on(PutCommand).resolves({});
    await makeStore().saveCursor('2024-01-15T14:00:00.000Z', null);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: 'cursor',
        sk: 'poller',
        watermark: '2024-01-15T14:00:00.000Z',
        version: 1,
      }),
      ConditionExpression: 'attribute_not_exists(#pk)',
    });
  });

  it('advances only from the expected version and reports a conflict', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    await expect(makeStore().saveCursor('2024-01-15T14:05:00.000Z', 4)).rejects.toMatchObject({
      name: 'StateStoreError',
      kind: 'conflict',
      message: expect.stringContaining('expected version 4'),
    });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ version: 5 }),
      ConditionExpression: '#version = :expected',
      ExpressionAttributeValues: { ':expected': 4 },
    });
  });
});

describe('lease', () => {
  it('is acquired conditionally and a failed condition means someone else holds it', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    await expect(makeStore().acquireLease('run-1', { nowMs: NOW_MS, untilMs: NOW_MS + 1 })).resolves.toBe(
      false,
    );
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'lease', sk: 'poller', owner: 'run-1', until: NOW_MS + 1 }),
      ConditionExpression: 'attribute_not_exists(#pk) OR #until < :nowMs OR #owner = :owner',
    });
  });

  it('uses the poller name so pollers can share a table', async () => {
    ddb.on(DeleteCommand).resolves({});
    await new DynamoDbStateStore({ tableName: TABLE, client: documentClient, poller: 'eu' }).releaseLease(
      'run-1',
    );
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'lease', sk: 'eu' },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: { ':owner': 'run-1' },
    });
  });
});

describe('alert dedup keys per account', () => {
  const onPoller = (poller?: string) =>
    new DynamoDbStateStore({ tableName: TABLE, client: documentClient, now: () => NOW_MS, poller });
  const KEY = 'zentrunk-alerts:group:4e995926882fcdc6';

  it('the default poller keeps alert#<dedupKey>, the key from before accounts', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb.on(GetCommand).resolves({});
    await onPoller().claimAlert(KEY, claimOpts);
    await onPoller('poller').completeAlert(KEY, { nowMs: NOW_MS, messageId: 'm', expiresAtSec: NOW_SEC });
    await onPoller().getAlertRecord(KEY);
    const keys = [
      ...ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key),
      ...ddb.commandCalls(GetCommand).map((call) => call.args[0].input.Key),
    ];
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(key).toEqual({ pk: `alert#${KEY}`, sk: 'alert' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('another account claims, completes, releases, dead-letters and reads alert#<poller>#<dedupKey>', async () => {
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    ddb.on(GetCommand).resolves({});
    const acme = onPoller('acme');
    await acme.claimAlert(KEY, claimOpts);
    await acme.releaseAlert(KEY);
    await acme.claimAlert(KEY, claimOpts);
    await acme.releaseAlert(KEY, { reason: 'InvalidParameter' });
    await acme.completeAlert(KEY, { nowMs: NOW_MS, messageId: 'm', expiresAtSec: NOW_SEC });
    await acme.deadLetterAlert(KEY, {
      subject: 'S',
      reason: 'R',
      rejections: 3,
      nowMs: NOW_MS,
      expiresAtSec: 1,
    });
    await acme.getAlertRecord(KEY);
    const keys = [
      ...ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key),
      ...ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key),
      ...ddb.commandCalls(GetCommand).map((call) => call.args[0].input.Key),
    ];
    expect(keys).toHaveLength(7);
    for (const key of keys) expect(key).toEqual({ pk: `alert#acme#${KEY}`, sk: 'alert' });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'deadletter#acme', sk: KEY }),
    });
  });
});

describe('batch writes', () => {
  it('writes in chunks of 25 and retries unprocessed items with backoff', async () => {
    const calls = Array.from({ length: 60 }, () => makeCall());
    const first = calls[0]!;
    const unprocessed = {
      PutRequest: { Item: { pk: 'pending#poller', sk: first.callUuid, call: first, attempts: 1 } },
    };
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [unprocessed] } })
      .resolves({});
    await makeStore().putPendingInsights(
      calls.map((call) => ({ call, attempts: 1, firstSeenAt: 't0' })),
      NOW_SEC + 100,
    );
    const sizes = ddb
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sizes).toEqual([25, 1, 25, 10]);
    expect(ddb.commandCalls(BatchWriteCommand)[1]?.args[0].input.RequestItems?.[TABLE]).toEqual([
      unprocessed,
    ]);
    expect(sleeps).toHaveLength(1);
  });

  it('gives up after a bounded number of attempts', async () => {
    ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
      UnprocessedItems: input.RequestItems,
    }));
    await expect(makeStore({ maxBatchAttempts: 4 }).deletePendingInsights(['a', 'b'])).rejects.toMatchObject({
      name: 'StateStoreError',
      kind: 'unprocessed',
      message: expect.stringMatching(
        /deletePendingInsights on DynamoDB table zentrunk-state-test.*2 item\(s\).*4 attempts/,
      ),
    });
    expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 4);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[2]).toBeGreaterThanOrEqual(sleeps[0]!);
  });

  it('sends each key once per batch (DynamoDB rejects duplicates)', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    await makeStore().deletePendingInsights(['a', 'b', 'a']);
    expect(ddb).toHaveReceivedCommandWith(BatchWriteCommand, {
      RequestItems: {
        [TABLE]: [
          { DeleteRequest: { Key: { pk: 'pending#poller', sk: 'a' } } },
          { DeleteRequest: { Key: { pk: 'pending#poller', sk: 'b' } } },
        ],
      },
    });
  });

  it('sends nothing for an empty list', async () => {
    await makeStore().deletePendingInsights([]);
    await makeStore().recordEvaluatedCalls(RANGE, [], NOW_SEC);
    expect(ddb).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('evaluated calls', () => {
  const uuid = (i: number) => `0000${i.toString(16).padStart(4, '0')}-aaaa-4bbb-8ccc-${'d'.repeat(12)}`;

  const at = (ids: string[]) =>
    ids.map((callUuid, i) => ({ callUuid, endMs: RANGE.from.getTime() + i * 1000 }));

  it('writes one compact item per batch: 16 bytes per UUID and 2 per end time, other ids as text', async () => {
    ddb.on(PutCommand).resolves({});
    const ids = [...Array.from({ length: 1000 }, (_, i) => uuid(i)), 'not-a-uuid'];
    await makeStore().recordEvaluatedCalls(RANGE, at(['not-a-uuid', ...ids.slice(0, 1000)]), NOW_SEC + 10);

    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as Record<string, unknown>;
    expect(item).toMatchObject({
      pk: 'evaluated#poller',
      from: RANGE.from.toISOString(),
      to: RANGE.to.toISOString(),
      other: ['not-a-uuid'],
      expiresAt: NOW_SEC + 10,
    });
    expect(String(item.sk).startsWith(`${RANGE.to.toISOString()}#${RANGE.from.toISOString()}#`)).toBe(true);
    expect((item.ids as Uint8Array).byteLength).toBe(16_000);
    // The end times in the order the ids are read back (UUIDs, then the others): seconds after
    // the span's start; 'not-a-uuid' ended first.
    const ends = unpackEnds(item.ends as Uint8Array, RANGE.from.getTime());
    expect(ends).toHaveLength(1001);
    expect(ends[0]).toBe(RANGE.from.getTime() + 1000);
    expect(ends[1000]).toBe(RANGE.from.getTime());
    // DynamoDB's item size: attribute names plus values. Under 19 KB: 19 write units for
    // 1,000 calls, where an item per call cost 1,000.
    const size = Object.entries(item).reduce(
      (sum, [name, value]) =>
        sum + name.length + (value instanceof Uint8Array ? value.byteLength : JSON.stringify(value).length),
      0,
    );
    expect(size).toBeLessThan(19_000);
  });

  it('keeps ids that are not UUIDs in items of their own, each far below 400 KB', async () => {
    ddb.on(PutCommand).resolves({});
    const long = (i: number) => `CALL-${String(i).padStart(6, '0')}-${'X'.repeat(116)}`;
    await makeStore().recordEvaluatedCalls(
      RANGE,
      at([...Array.from({ length: 4_500 }, (_, i) => long(i)), uuid(1)]),
      NOW_SEC,
    );
    const items = ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item as { other?: string[] });
    expect(items.length).toBeGreaterThanOrEqual(4);
    for (const item of items) expect(JSON.stringify(item.other ?? []).length).toBeLessThan(200_000);
    expect(items.flatMap((i) => i.other ?? [])).toHaveLength(4_500);
  });

  it('splits a batch of more than 8,888 ids over several items', async () => {
    ddb.on(PutCommand).resolves({});
    await makeStore().recordEvaluatedCalls(
      RANGE,
      at(Array.from({ length: 8_889 }, (_, i) => uuid(i))),
      NOW_SEC,
    );
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 2);
  });

  it('queries the records that end after the range starts, drops those starting at or after its end, and unpacks them', async () => {
    const ids = [uuid(1), uuid(2)];
    const { packed } = packUuids(ids);
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          pk: 'evaluated#poller',
          sk: 'a',
          from: RANGE.from.toISOString(),
          to: RANGE.to.toISOString(),
          ids: packed,
          other: ['x1'],
          expiresAt: NOW_SEC + 5,
        },
        {
          pk: 'evaluated#poller',
          sk: 'b',
          from: RANGE.to.toISOString(),
          to: '2099-01-01T00:00:00.000Z',
          ids: packUuids([uuid(3)]).packed,
          expiresAt: NOW_SEC + 5,
        },
        {
          pk: 'evaluated#poller',
          sk: 'c',
          from: RANGE.from.toISOString(),
          to: RANGE.to.toISOString(),
          ids: packUuids([uuid(4)]).packed,
          expiresAt: NOW_SEC - 5,
        },
      ],
    });
    const found = await makeStore().getEvaluatedCalls(RANGE);
    expect(found.callUuids()).toEqual(new Set([...ids, 'x1']));
    // Written before end times were kept: the calls count only for a range holding the span.
    expect(found.countIn(RANGE)).toBe(3);
    expect(found.countIn({ from: RANGE.from, to: new Date(RANGE.from.getTime() + 1000) })).toBeNull();
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#pk = :pk AND #sk > :after',
      ExpressionAttributeValues: { ':pk': 'evaluated#poller', ':after': RANGE.from.toISOString() },
      ConsistentRead: true,
    });
  });

  it('packs end times as seconds after the span start; unknown or beyond two bytes read back as unknown', () => {
    const from = RANGE.from.getTime();
    const ends = [from, from + 1_500, from + 65_534_000, from + 65_535_000, from - 1000, null];
    expect(unpackEnds(packEnds(ends, from), from)).toEqual([
      from,
      from + 1000,
      from + 65_534_000,
      null,
      null,
      null,
    ]);
  });

  it('packs and unpacks UUIDs losslessly', () => {
    const ids = Array.from({ length: 50 }, (_, i) => uuid(i * 977));
    expect(unpackUuids(packUuids(ids).packed)).toEqual(ids);
  });
});

describe('listPendingInsights', () => {
  it('follows LastEvaluatedKey and skips expired items', async () => {
    const [a, b, c] = [makeCall(), makeCall(), makeCall()];
    const item = (call: typeof a, expiresAt: number) => ({
      pk: 'pending#poller',
      sk: call.callUuid,
      call,
      attempts: 2,
      firstSeenAt: 't0',
      expiresAt,
    });
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [item(a, NOW_SEC + 5)],
        LastEvaluatedKey: { pk: 'pending#poller', sk: a.callUuid },
      })
      .resolvesOnce({ Items: [item(b, NOW_SEC - 5), item(c, NOW_SEC + 5)] });
    await expect(makeStore().listPendingInsights()).resolves.toEqual([
      { call: a, attempts: 2, errors: 0, firstSeenAt: 't0' },
      { call: c, attempts: 2, errors: 0, firstSeenAt: 't0' },
    ]);
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({
      pk: 'pending#poller',
      sk: a.callUuid,
    });
  });
});
