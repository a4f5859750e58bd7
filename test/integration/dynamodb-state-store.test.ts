import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createStateTable } from '../../functions/adapters/dynamodb/create-state-table';
import { DynamoDbStateStore, StateStoreError } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import type { HealthState } from '../../functions/core/health/run-health';
import { makeCall } from '../support/calls';
import { makeTestTable, startDynalite, type Dynalite } from '../support/dynalite';

const NOW_MS = Date.parse('2024-01-15T15:00:00.000Z');
const NOW_SEC = Math.floor(NOW_MS / 1000);
const DAY = 86_400;

let server: Dynalite;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  server = await startDynalite();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await server.close();
});

async function setup(options: { now?: () => number } = {}) {
  const table = await makeTestTable(server.endpoint);
  clients.push(table.client);
  const store = new DynamoDbStateStore({
    tableName: table.tableName,
    client: table.documentClient,
    now: options.now ?? (() => NOW_MS),
  });
  return { ...table, store };
}

const claimOpts = (nowMs = NOW_MS, holdMs = 60_000) => ({
  nowMs,
  inProgressUntilMs: nowMs + holdMs,
  expiresAtSec: Math.floor(nowMs / 1000) + 7 * DAY,
});

describe('createStateTable', () => {
  it('is idempotent and tolerates a server without the TTL API', async () => {
    const { client, tableName } = await setup();
    await expect(createStateTable(client, tableName)).resolves.toEqual({
      tableName,
      created: false,
      ttl: 'unsupported',
    });
  });
});

describe('cursor', () => {
  it('starts empty, saves with optimistic versions and rejects a stale writer', async () => {
    const { store } = await setup();
    expect(await store.getCursor()).toBeNull();

    await store.saveCursor('2024-01-15T14:00:00.000Z', null);
    expect(await store.getCursor()).toEqual({ watermark: '2024-01-15T14:00:00.000Z', version: 1 });

    await store.saveCursor('2024-01-15T14:05:00.000Z', 1);
    expect(await store.getCursor()).toEqual({ watermark: '2024-01-15T14:05:00.000Z', version: 2 });

    // A second run that read version 1 (or no cursor) loses.
    await expect(store.saveCursor('2024-01-15T14:06:00.000Z', 1)).rejects.toMatchObject({
      name: 'StateStoreError',
      kind: 'conflict',
      operation: 'saveCursor',
    });
    await expect(store.saveCursor('2024-01-15T14:06:00.000Z', null)).rejects.toBeInstanceOf(StateStoreError);
    expect(await store.getCursor()).toEqual({ watermark: '2024-01-15T14:05:00.000Z', version: 2 });
  });

  it('keeps separate cursors for pollers sharing a table', async () => {
    const { store, documentClient, tableName } = await setup();
    const other = new DynamoDbStateStore({ tableName, client: documentClient, poller: 'other' });
    await store.saveCursor('2024-01-15T14:00:00.000Z', null);
    expect(await other.getCursor()).toBeNull();
  });
});

describe('alert dedup', () => {
  it('claim → complete → a later claim says already-sent', async () => {
    const { store } = await setup();
    expect(await store.claimAlert('k1', claimOpts())).toBe('claimed');
    await store.completeAlert('k1', { nowMs: NOW_MS, messageId: 'm-1', expiresAtSec: NOW_SEC + DAY });
    expect(await store.claimAlert('k1', claimOpts(NOW_MS + 1000))).toBe('already-sent');
    // Even long after any in-progress window, a completed alert stays sent until it expires.
    expect(await store.claimAlert('k1', claimOpts(NOW_MS + 3_600_000))).toBe('already-sent');
  });

  it('lets exactly one of many concurrent claims win', async () => {
    const { store, documentClient, tableName } = await setup();
    const stores = Array.from(
      { length: 8 },
      () => new DynamoDbStateStore({ tableName, client: documentClient }),
    );
    const results = await Promise.all([store, ...stores].map((s) => s.claimAlert('race', claimOpts())));
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r === 'in-progress')).toHaveLength(results.length - 1);
  });

  it('takes over a stale in-progress claim, and the stale run cannot release it', async () => {
    const { store, documentClient, tableName } = await setup();
    const crashed = new DynamoDbStateStore({ tableName, client: documentClient });
    expect(await crashed.claimAlert('k2', claimOpts(NOW_MS, 10_000))).toBe('claimed');
    expect(await store.claimAlert('k2', claimOpts(NOW_MS + 5_000))).toBe('in-progress');
    expect(await store.claimAlert('k2', claimOpts(NOW_MS + 10_001))).toBe('claimed');

    await crashed.releaseAlert('k2');
    expect(await store.claimAlert('k2', claimOpts(NOW_MS + 11_000))).toBe('in-progress');
  });

  it('release then reclaim; release never removes a completed alert', async () => {
    const { store } = await setup();
    expect(await store.claimAlert('k3', claimOpts())).toBe('claimed');
    await store.releaseAlert('k3');
    expect(await store.claimAlert('k3', claimOpts())).toBe('claimed');
    await store.completeAlert('k3', { nowMs: NOW_MS, messageId: 'm-3', expiresAtSec: NOW_SEC + DAY });
    await store.releaseAlert('k3');
    expect(await store.claimAlert('k3', claimOpts())).toBe('already-sent');
  });

  it('reclaims an alert whose retention passed even if TTL never deleted it', async () => {
    const { store } = await setup();
    expect(await store.claimAlert('k4', claimOpts())).toBe('claimed');
    await store.completeAlert('k4', { nowMs: NOW_MS, messageId: 'm-4', expiresAtSec: NOW_SEC + 60 });
    expect(await store.claimAlert('k4', claimOpts(NOW_MS + 30_000))).toBe('already-sent');
    expect(await store.claimAlert('k4', claimOpts(NOW_MS + 61_001))).toBe('claimed');
  });
});

describe('lease', () => {
  it('is exclusive while live, re-entrant for its owner and taken over once expired', async () => {
    const { store } = await setup();
    expect(await store.acquireLease('run-a', { nowMs: NOW_MS, untilMs: NOW_MS + 60_000 })).toBe(true);
    expect(await store.acquireLease('run-b', { nowMs: NOW_MS + 1000, untilMs: NOW_MS + 61_000 })).toBe(false);
    expect(await store.acquireLease('run-a', { nowMs: NOW_MS + 1000, untilMs: NOW_MS + 90_000 })).toBe(true);
    expect(await store.acquireLease('run-b', { nowMs: NOW_MS + 90_001, untilMs: NOW_MS + 150_000 })).toBe(
      true,
    );

    // run-a's late release must not free run-b's lease.
    await store.releaseLease('run-a');
    expect(await store.acquireLease('run-c', { nowMs: NOW_MS + 91_000, untilMs: NOW_MS + 150_000 })).toBe(
      false,
    );
    await store.releaseLease('run-b');
    expect(await store.acquireLease('run-c', { nowMs: NOW_MS + 91_000, untilMs: NOW_MS + 150_000 })).toBe(
      true,
    );
  });

  it('lets exactly one of concurrent runs acquire a free lease', async () => {
    const { store } = await setup();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((owner) =>
        store.acquireLease(owner, { nowMs: NOW_MS, untilMs: NOW_MS + 60_000 }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe('pending insights', () => {
  it('puts, lists across pages and deletes', async () => {
    const { store, documentClient } = await setup();
    let queries = 0;
    documentClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    // Large calls push the query past its 1 MB page, so listing must follow LastEvaluatedKey.
    const padding = 'x'.repeat(8_000);
    const calls = Array.from({ length: 150 }, () => makeCall({ trunkDomain: padding }));
    await store.putPendingInsights(
      calls.map((call, i) => ({ call, attempts: i % 3, firstSeenAt: '2024-01-15T14:00:00.000Z' })),
      NOW_SEC + DAY,
    );
    const listed = await store.listPendingInsights();
    expect(listed).toHaveLength(150);
    expect(queries).toBeGreaterThan(1);
    const byUuid = new Map(listed.map((p) => [p.call.callUuid, p]));
    expect(byUuid.get(calls[7]!.callUuid)).toEqual({
      call: calls[7],
      attempts: 1,
      errors: 0,
      firstSeenAt: '2024-01-15T14:00:00.000Z',
    });

    await store.deletePendingInsights(calls.slice(0, 140).map((c) => c.callUuid));
    const left = await store.listPendingInsights();
    expect(left.map((p) => p.call.callUuid).sort()).toEqual(
      calls
        .slice(140)
        .map((c) => c.callUuid)
        .sort(),
    );
  });

  it('overwrites an item put again and ignores expired ones', async () => {
    const { store } = await setup();
    const [a, b] = [makeCall(), makeCall()];
    await store.putPendingInsights([{ call: a, attempts: 1, firstSeenAt: 't0' }], NOW_SEC + DAY);
    await store.putPendingInsights(
      [
        { call: a, attempts: 2, firstSeenAt: 't0' },
        { call: a, attempts: 3, errors: 2, firstSeenAt: 't0' },
      ],
      NOW_SEC + DAY,
    );
    await store.putPendingInsights([{ call: b, attempts: 1, firstSeenAt: 't0' }], NOW_SEC - 1);
    expect(await store.listPendingInsights()).toEqual([
      { call: a, attempts: 3, errors: 2, firstSeenAt: 't0' },
    ]);
  });
});

describe('windows', () => {
  it('reads a window item written before evaluations were timed, as it is: not unreadable', async () => {
    const { store, documentClient, tableName } = await setup();
    // As the previous code wrote it: the flap history as booleans, no `breaches`.
    const body = {
      id: 'window:packet-loss-spike:acme',
      ruleId: 'packet-loss-spike',
      labels: { trunk_domain: 'acme.zt.plivo.com' },
      buckets: [{ minute: 29_000_000, calls: 3, hits: 1, sum: 2.5, values: [2.5, 0, 0] }],
      baseline: null,
      history: [false, true],
      firing: false,
      firingSince: null,
      peak: null,
      episode: 0,
      notices: 0,
      lastNotifiedAt: null,
    };
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'window#poller', sk: body.id, body, version: 4, expiresAt: NOW_SEC + DAY },
      }),
    );
    // The core reads the old history (windowed/window.ts breachesOf); the store passes it on.
    expect(await store.listWindows()).toEqual([{ ...body, version: 4 }]);
    expect(store.takeUnreadable()).toEqual([]);
  });
});

describe('evaluated calls', () => {
  it('keeps 25,000 calls in three compact items, found again by the range they ended in; expired ones ignored', async () => {
    const { store } = await setup();
    const uuids = Array.from({ length: 25_000 }, () => randomUUID());
    const span = { from: new Date(NOW_SEC * 1000 - 3_600_000), to: new Date(NOW_SEC * 1000 - 1_800_000) };
    // Each call ended a second after the one before, from the span's start.
    const entries = uuids.map((callUuid, i) => ({
      callUuid,
      endMs: span.from.getTime() + (i % 1800) * 1000,
    }));
    await store.recordEvaluatedCalls(span, entries, NOW_SEC + DAY);
    await store.recordEvaluatedCalls(
      span,
      [{ callUuid: 'old-one', endMs: span.from.getTime() }],
      NOW_SEC - 1,
    );

    const found = await store.getEvaluatedCalls({
      from: new Date(span.to.getTime() - 60_000),
      to: new Date(NOW_SEC * 1000),
    });
    expect(found.size).toBe(25_000);
    expect(found.callUuids()).toEqual(new Set(uuids));
    // Their end times came back with them: the span's first minute holds 60 distinct seconds.
    const firstMinute = { from: span.from, to: new Date(span.from.getTime() + 60_000) };
    const all = await store.getEvaluatedCalls(span);
    expect(all.countIn(firstMinute)).toBe(uuids.filter((_, i) => i % 1800 < 60).length);
    expect(all.countIn(span)).toBe(25_000);
    // Ranges after the span, or before it, do not see it.
    expect((await store.getEvaluatedCalls({ from: span.to, to: new Date(NOW_SEC * 1000) })).size).toBe(0);
    expect((await store.getEvaluatedCalls({ from: new Date(0), to: span.from })).size).toBe(0);
  });
});

describe('health', () => {
  it('round-trips', async () => {
    const { store } = await setup();
    expect(await store.getHealth()).toBeNull();
    const failing: HealthState = {
      status: 'failing',
      since: '2024-01-15T14:00:00.000Z',
      kind: 'plivo-unavailable',
      reason: 'Plivo answered 503',
      consecutiveFailures: 3,
      failingMs: 15 * 60_000,
      notified: true,
    };
    await store.saveHealth(failing);
    expect(await store.getHealth()).toEqual(failing);
    // Saved before the failing time was kept: read without it (the core reads the count).
    const { failingMs: _kept, ...untimed } = failing;
    await store.saveHealth(untimed);
    expect(await store.getHealth()).toEqual(untimed);
    const healthy: HealthState = {
      status: 'healthy',
      since: null,
      kind: null,
      reason: null,
      consecutiveFailures: 0,
      failingMs: 0,
      notified: false,
    };
    await store.saveHealth(healthy);
    expect(await store.getHealth()).toEqual(healthy);
  });
});

describe('errors', () => {
  it('names the operation and the table', async () => {
    const { documentClient } = await setup();
    const missing = new DynamoDbStateStore({ tableName: 'no-such-table', client: documentClient });
    await expect(missing.getCursor()).rejects.toThrow(
      /State store getCursor on DynamoDB table no-such-table failed: ResourceNotFoundException/,
    );
  });

  it('skips a corrupt cursor item (reads as none, says so) and lets the next save replace it', async () => {
    const { store, documentClient, tableName } = await setup();
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'cursor', sk: 'poller', watermark: 42, version: 7 },
      }),
    );
    await expect(store.getCursor()).resolves.toBeNull();
    expect(store.takeUnreadable()).toEqual([
      {
        operation: 'getCursor',
        item: 'cursor',
        reason: 'the stored cursor has no readable watermark or version',
      },
    ]);
    expect(store.takeUnreadable()).toEqual([]);
    // Another run replaced it meanwhile (under its lease): this store's replacement must not win.
    const other = new DynamoDbStateStore({ tableName, client: documentClient });
    await other.getCursor();
    await other.saveCursor('2026-12-03T11:00:00.000Z', null);
    await expect(store.saveCursor('2026-12-03T12:00:00.000Z', null)).rejects.toMatchObject({
      kind: 'conflict',
    });
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'cursor', sk: 'poller', watermark: 42, version: 1 },
      }),
    );
    await expect(store.getCursor()).resolves.toBeNull();
    // The run saves as a first run would, over the unreadable item.
    await store.saveCursor('2026-12-03T12:00:00.000Z', null);
    await expect(store.getCursor()).resolves.toEqual({ watermark: '2026-12-03T12:00:00.000Z', version: 1 });
    // A readable cursor is never overwritten as if there were none.
    await expect(store.saveCursor('2026-12-03T12:05:00.000Z', null)).rejects.toMatchObject({
      kind: 'conflict',
    });
  });

  it('skips every unreadable item among readable ones, and reports each once', async () => {
    const { store, documentClient, tableName } = await setup();
    const put = (Item: Record<string, unknown>) =>
      documentClient.send(new PutCommand({ TableName: tableName, Item }));
    const call = makeCall({ callUuid: 'ok-call' });
    await store.putPendingInsights(
      [{ call, attempts: 1, errors: 0, firstSeenAt: '2026-12-03T12:00:00.000Z' }],
      Math.floor(Date.now() / 1000) + 3600,
    );
    await put({ pk: 'pending#poller', sk: 'broken-call', attempts: 1 });
    await put({ pk: 'outbox#poller', sk: 'no-message', covers: ['x'] });
    await put({ pk: 'group#poller', sk: 'g-1', version: 1 });
    await put({ pk: 'window#poller', sk: 'w-1', body: 'text', version: 1 });
    await put({ pk: 'health', sk: 'poller', status: 'exploded' });

    expect((await store.listPendingInsights()).map((p) => p.call.callUuid)).toEqual(['ok-call']);
    expect(await store.listOutbox()).toEqual([]);
    expect(await store.listGroups()).toEqual([]);
    expect(await store.listWindows()).toEqual([]);
    expect(await store.getHealth()).toBeNull();
    // Read twice, reported once.
    await store.listOutbox();
    expect(store.takeUnreadable().map((u) => [u.operation, u.item] as const)).toEqual([
      ['listPendingInsights', 'pending broken-call'],
      ['listOutbox', 'outbox no-message'],
      ['listGroups', 'group g-1'],
      ['listWindows', 'window w-1'],
      ['getHealth', 'health'],
    ]);
  });
});
