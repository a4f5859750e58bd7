/**
 * One contract, two stores: the DynamoDB store over dynalite and the in-memory store must give
 * the same answers, so tests that use the in-memory one for speed prove what holds over
 * DynamoDB. Races between processes are DynamoDB's business and stay in
 * dynamodb-state-store.test.ts.
 */
import { DynamoDbStateStore } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { MemoryStateStore, MemoryStateTable } from '../../functions/adapters/memory/memory-state-store';
import type { GroupState } from '../../functions/core/groups/group';
import type { AlertMessage, StateStore } from '../../functions/core/ports';
import { quietIncident } from '../../functions/core/traffic/incident';
import {
  countInto,
  emptyHot,
  emptyProfile,
  fromStored,
  toStored,
} from '../../functions/core/traffic/traffic-state';
import { makeCall, makeInsights } from '../support/calls';
import { type Dynalite, makeTestTable, startDynalite } from '../support/dynalite';

const NOW_MS = Date.parse('2024-01-15T15:00:00.000Z');
const NOW_SEC = Math.floor(NOW_MS / 1000);
const DAY = 86_400;

let server: Dynalite;
const closers: Array<() => void> = [];
beforeAll(async () => {
  server = await startDynalite();
});
afterAll(async () => {
  for (const close of closers) close();
  await server.close();
});

type Clock = { ms: number };
/** A new table, and a store on it for a poller (default: the default account's). */
type StoreOn = (poller?: string) => StateStore;
const makers: Array<[string, (clock: Clock) => Promise<StoreOn>]> = [
  [
    'DynamoDB (dynalite)',
    async (clock) => {
      const table = await makeTestTable(server.endpoint);
      closers.push(() => table.client.destroy());
      return (poller) =>
        new DynamoDbStateStore({
          tableName: table.tableName,
          client: table.documentClient,
          now: () => clock.ms,
          poller,
        });
    },
  ],
  [
    'memory',
    async (clock) => {
      const table = new MemoryStateTable();
      return (poller) => new MemoryStateStore(() => clock.ms, { table, poller });
    },
  ],
];

const claim = (store: StateStore, key: string, nowMs = NOW_MS, holdMs = 60_000) =>
  store.claimAlert(key, {
    nowMs,
    inProgressUntilMs: nowMs + holdMs,
    expiresAtSec: Math.floor(nowMs / 1000) + DAY,
  });
const complete = (store: StateStore, key: string, expiresAtSec = NOW_SEC + DAY) =>
  store.completeAlert(key, { nowMs: NOW_MS, messageId: 'm', expiresAtSec });

const message: AlertMessage = {
  dedupKey: 'zentrunk-alerts:catch-up#r1',
  subject: 'S',
  text: 'T',
  shortText: 't',
  json: { kind: 'catch-up-summary', calls: [{ rule: 'packet-loss', callUuid: 'c1' }] },
  attributes: { severity: 'warning' },
};

describe.each(makers)('StateStore contract: %s', (_name, make) => {
  let clock: Clock;
  let storeOn: StoreOn;
  let store: StateStore;
  beforeEach(async () => {
    clock = { ms: NOW_MS };
    storeOn = await make(clock);
    store = storeOn();
  });

  it('cursor: optimistic versions, a stale writer loses', async () => {
    expect(await store.getCursor()).toBeNull();
    await store.saveCursor('2024-01-15T14:00:00.000Z', null);
    await store.saveCursor('2024-01-15T14:05:00.000Z', 1);
    await expect(store.saveCursor('2024-01-15T14:06:00.000Z', 1)).rejects.toThrow(/version|changed/);
    expect(await store.getCursor()).toEqual({ watermark: '2024-01-15T14:05:00.000Z', version: 2 });
  });

  it('claims: claimed, in-progress, already-sent; stale claims and passed retention are taken over', async () => {
    expect(await claim(store, 'k')).toBe('claimed');
    expect(await claim(store, 'k', NOW_MS + 1000)).toBe('in-progress');
    expect(await claim(store, 'k', NOW_MS + 60_001)).toBe('claimed');
    await complete(store, 'k', NOW_SEC + 100);
    expect(await claim(store, 'k', NOW_MS + 50_000)).toBe('already-sent');
    expect(await claim(store, 'k', (NOW_SEC + 101) * 1000)).toBe('claimed');
  });

  it('release gives a claim back, never a completed record', async () => {
    expect(await claim(store, 'k')).toBe('claimed');
    expect(await store.releaseAlert('k')).toBe(0);
    expect(await claim(store, 'k')).toBe('claimed');
    await complete(store, 'k');
    await store.releaseAlert('k');
    expect(await claim(store, 'k')).toBe('already-sent');
  });

  it('refusals are counted on the record across claims; a dead letter is never claimed again', async () => {
    for (let n = 1; n <= 3; n += 1) {
      expect(await claim(store, 'k', NOW_MS + n)).toBe('claimed');
      expect(await store.releaseAlert('k', { reason: `refused ${n}` })).toBe(n);
    }
    expect(await claim(store, 'k', NOW_MS + 10)).toBe('claimed');
    await store.deadLetterAlert('k', {
      subject: 'S',
      reason: 'InvalidParameter',
      rejections: 3,
      covers: ['a', 'b'],
      nowMs: NOW_MS,
      expiresAtSec: NOW_SEC + DAY,
    });
    expect(await claim(store, 'k', NOW_MS + 120_000)).toBe('dead-letter');
    expect(await store.listDeadLetters()).toEqual([
      {
        key: 'k',
        subject: 'S',
        reason: 'InvalidParameter',
        rejections: 3,
        covers: ['a', 'b'],
        deadLetteredAt: new Date(NOW_MS).toISOString(),
        reported: false,
      },
    ]);
    await store.markDeadLettersReported(['k', 'unknown']);
    expect((await store.listDeadLetters())[0]?.reported).toBe(true);
  });

  it('outbox: what is put is listed whole until deleted', async () => {
    await store.putOutbox({ key: message.dedupKey, message, covers: ['a', 'b'] }, NOW_SEC + DAY);
    expect(await store.listOutbox()).toEqual([{ key: message.dedupKey, message, covers: ['a', 'b'] }]);
    await store.deleteOutbox(message.dedupKey);
    expect(await store.listOutbox()).toEqual([]);
  });

  it('pending insights and evaluated markers: overwrite, delete, expiry by the clock', async () => {
    await store.putPendingInsights(
      [
        { call: makeCall({ callUuid: 'p1' }), attempts: 1, errors: 0, firstSeenAt: 'x' },
        { call: makeCall({ callUuid: 'p2' }), attempts: 1, errors: 2, firstSeenAt: 'y' },
      ],
      NOW_SEC + 100,
    );
    const lastLookedAt = new Date(NOW_MS - 60_000).toISOString();
    await store.putPendingInsights(
      [{ call: makeCall({ callUuid: 'p1' }), attempts: 2, firstSeenAt: 'x', lastLookedAt }],
      NOW_SEC + 50,
    );
    // When it was last asked for its Insights comes back with it (the next ask is spaced from it).
    expect((await store.listPendingInsights()).find((p) => p.call.callUuid === 'p1')?.lastLookedAt).toBe(
      lastLookedAt,
    );
    await store.deletePendingInsights(['p2']);
    // Insights already fetched ride along, so a call owed for another reason is not asked for twice.
    const insights = makeInsights('p3', { qualityScore: 2.1 });
    await store.putPendingInsights(
      [{ call: makeCall({ callUuid: 'p3' }), attempts: 0, firstSeenAt: 'z', insights }],
      NOW_SEC + 50,
    );
    expect((await store.listPendingInsights()).find((p) => p.call.callUuid === 'p3')?.insights).toEqual(
      insights,
    );
    await store.deletePendingInsights(['p3']);
    expect((await store.listPendingInsights()).map((p) => [p.call.callUuid, p.attempts, p.errors])).toEqual([
      ['p1', 2, 0],
    ]);
    const span = (fromMin: number, toMin: number) => ({
      from: new Date(NOW_MS + fromMin * 60_000),
      to: new Date(NOW_MS + toMin * 60_000),
    });
    const u = (n: number) => `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const at = (min: number) => NOW_MS + min * 60_000;
    await store.recordEvaluatedCalls(
      span(-20, -10),
      [
        { callUuid: u(1), endMs: at(-19) },
        { callUuid: 'e1', endMs: at(-11) },
      ],
      NOW_SEC + 10,
    );
    await store.recordEvaluatedCalls(span(-10, -5), [{ callUuid: u(2), endMs: null }], NOW_SEC + 10);
    await store.recordEvaluatedCalls(span(-10, -5), [], NOW_SEC + 10);
    const ids = async (range: { from: Date; to: Date }) =>
      [...(await store.getEvaluatedCalls(range)).callUuids()].sort();
    // Overlap decides: a record is seen by a range it overlaps, never by one before or after it.
    expect(await ids(span(-15, 0))).toEqual([u(1), u(2), 'e1'].sort());
    expect(await ids(span(-7, -6))).toEqual([u(2)]);
    expect(await ids(span(-5, 0))).toEqual([]);
    expect(await ids(span(-30, -20))).toEqual([]);
    // Counting by end time: exact where the end is kept; a call without one counts only in a
    // range holding its whole record's span, and makes a range cutting that span unknowable.
    const all = await store.getEvaluatedCalls(span(-30, 0));
    expect(all.countIn(span(-20, -15))).toBe(1);
    expect(all.countIn(span(-15, -10))).toBe(1);
    expect(all.countIn(span(-11, -10))).toBe(1);
    expect(all.countIn(span(-10, -5))).toBe(1);
    expect(all.countIn(span(-20, 0))).toBe(3);
    expect(all.countIn(span(-8, -5))).toBeNull();
    clock.ms = (NOW_SEC + 60) * 1000;
    expect(await store.listPendingInsights()).toEqual([]);
    expect(await ids(span(-30, 0))).toEqual([]);
  });

  it('lease: exclusive while live, re-entrant, taken over once expired', async () => {
    expect(await store.acquireLease('a', { nowMs: NOW_MS, untilMs: NOW_MS + 1000 })).toBe(true);
    expect(await store.acquireLease('b', { nowMs: NOW_MS + 500, untilMs: NOW_MS + 2000 })).toBe(false);
    expect(await store.acquireLease('a', { nowMs: NOW_MS + 500, untilMs: NOW_MS + 3000 })).toBe(true);
    expect(await store.acquireLease('b', { nowMs: NOW_MS + 3001, untilMs: NOW_MS + 9000 })).toBe(true);
    await store.releaseLease('a');
    expect(await store.acquireLease('a', { nowMs: NOW_MS + 3002, untilMs: NOW_MS + 9000 })).toBe(false);
    await store.releaseLease('b');
    expect(await store.acquireLease('a', { nowMs: NOW_MS + 3002, untilMs: NOW_MS + 9000 })).toBe(true);
  });

  it('groups: saved with optimistic versions', async () => {
    const group = { id: 'g1', ruleId: 'packet-loss', version: 0 } as unknown as GroupState;
    expect(await store.saveGroup(group, NOW_SEC + DAY)).toBe(1);
    await expect(store.saveGroup(group, NOW_SEC + DAY)).rejects.toThrow(/changed by another run/);
    expect(await store.saveGroup({ ...group, version: 1 }, NOW_SEC + DAY)).toBe(2);
    expect((await store.listGroups()).map((g) => [g.id, g.version])).toEqual([['g1', 2]]);
  });

  it('traffic items: the stored form round-trips whole, with optimistic versions and expiry', async () => {
    let hot = countInto(
      emptyHot('acme.zt.plivo.com'),
      [makeCall({ trunkDomain: 'acme.zt.plivo.com', toCountry: 'ST', toNumber: '+23990000001' })],
      {},
      30 * DAY * 1000,
    );
    hot = { ...hot, incidents: { 'new-destination': { ...quietIncident(), firing: true, episode: 1 } } };
    const profile = emptyProfile('acme.zt.plivo.com', NOW_MS - 3_600_000);
    expect(await store.saveTraffic(toStored(hot), NOW_SEC + DAY)).toBe(1);
    expect(await store.saveTraffic(toStored(profile), NOW_SEC + 60)).toBe(1);
    await expect(store.saveTraffic(toStored(hot), NOW_SEC + DAY)).rejects.toThrow(/changed by another run/);
    const read = (await store.listTraffic()).map((item) => fromStored(item));
    expect(read).toEqual(
      expect.arrayContaining([
        { ...hot, version: 1 },
        { ...profile, version: 1 },
      ]),
    );
    clock.ms += 120_000; // the profile's expiry passed (TTL deletion is not relied on)
    expect((await store.listTraffic()).map((item) => item.id)).toEqual(['hot:acme.zt.plivo.com']);
    // A new item in its place (version 0) replaces the expired one TTL has not deleted yet;
    // the live one still refuses a writer that thinks it new.
    expect(await store.saveTraffic(toStored(profile), NOW_SEC + DAY)).toBe(1);
    await expect(store.saveTraffic(toStored(hot), NOW_SEC + DAY)).rejects.toThrow(/changed by another run/);
    await expect(store.saveWindow({ id: 'w', version: 0 } as never, NOW_SEC + 60)).resolves.toBe(1);
    clock.ms += 120_000;
    await expect(store.saveWindow({ id: 'w', version: 0 } as never, NOW_SEC + DAY)).resolves.toBe(1);
  });

  it('accounts on one table: stores of one poller share its state (the premise of the next case)', async () => {
    const again = storeOn();
    expect(await claim(store, 'k')).toBe('claimed');
    expect(await claim(again, 'k')).toBe('in-progress');
    await store.saveCursor('2024-01-15T14:00:00.000Z', null);
    expect(await again.getCursor()).toEqual({ watermark: '2024-01-15T14:00:00.000Z', version: 1 });
    expect(await store.acquireLease('run-1', { nowMs: NOW_MS, untilMs: NOW_MS + 60_000 })).toBe(true);
    expect(await again.acquireLease('run-2', { nowMs: NOW_MS, untilMs: NOW_MS + 60_000 })).toBe(false);
  });

  it("accounts on one table: pollers never see each other's claims, cursor, lease or any other state", async () => {
    const acme = storeOn('acme');
    const globex = storeOn('globex');
    // Claims: the same notice key is a different alert in each account.
    expect(await claim(store, 'zentrunk-alerts:group:g1')).toBe('claimed');
    expect(await claim(acme, 'zentrunk-alerts:group:g1')).toBe('claimed');
    await complete(acme, 'zentrunk-alerts:group:g1');
    expect(await claim(globex, 'zentrunk-alerts:group:g1')).toBe('claimed');
    expect(await claim(store, 'zentrunk-alerts:group:g1', NOW_MS + 1000)).toBe('in-progress');
    expect(await claim(acme, 'zentrunk-alerts:group:g1', NOW_MS + 1000)).toBe('already-sent');
    await store.releaseAlert('zentrunk-alerts:group:g1');
    expect(await claim(globex, 'zentrunk-alerts:group:g1', NOW_MS + 1000)).toBe('in-progress');

    // Cursor and lease: each account's own.
    await store.saveCursor('2024-01-15T14:00:00.000Z', null);
    expect(await acme.getCursor()).toBeNull();
    await acme.saveCursor('2024-01-15T13:00:00.000Z', null);
    expect(await store.getCursor()).toEqual({ watermark: '2024-01-15T14:00:00.000Z', version: 1 });
    expect(await store.acquireLease('run-1', { nowMs: NOW_MS, untilMs: NOW_MS + 60_000 })).toBe(true);
    expect(await acme.acquireLease('run-2', { nowMs: NOW_MS, untilMs: NOW_MS + 60_000 })).toBe(true);
    await acme.releaseLease('run-1');
    expect(await globex.acquireLease('run-1', { nowMs: NOW_MS, untilMs: NOW_MS + 60_000 })).toBe(true);
    expect(await store.acquireLease('run-3', { nowMs: NOW_MS + 1, untilMs: NOW_MS + 60_000 })).toBe(false);

    // Everything else that is per poller.
    await acme.putPendingInsights(
      [{ call: makeCall({ callUuid: 'p1' }), attempts: 1, firstSeenAt: 'x' }],
      NOW_SEC + DAY,
    );
    await acme.putOutbox({ key: message.dedupKey, message, covers: [] }, NOW_SEC + DAY);
    await acme.saveGroup(
      { id: 'g1', ruleId: 'packet-loss', version: 0 } as unknown as GroupState,
      NOW_SEC + DAY,
    );
    await acme.saveHealth({
      status: 'failing',
      since: null,
      kind: 'plivo-unavailable',
      reason: 'r',
      consecutiveFailures: 1,
      notified: false,
    });
    expect(await claim(acme, 'dl')).toBe('claimed');
    await acme.deadLetterAlert('dl', {
      subject: 'S',
      reason: 'R',
      rejections: 3,
      nowMs: NOW_MS,
      expiresAtSec: NOW_SEC + DAY,
    });
    for (const other of [store, globex]) {
      expect(await other.listPendingInsights()).toEqual([]);
      expect(await other.listOutbox()).toEqual([]);
      expect(await other.listGroups()).toEqual([]);
      expect(await other.listWindows()).toEqual([]);
      expect(await other.getHealth()).toBeNull();
      expect(await other.listDeadLetters()).toEqual([]);
      expect(await claim(other, 'dl')).toBe('claimed');
    }
    expect(await acme.listPendingInsights()).toHaveLength(1);
    expect(await acme.listGroups()).toHaveLength(1);
  });
});
