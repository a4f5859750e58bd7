/**
 * "Never miss, never spam" against a misbehaving Plivo (every fault switch of the sandbox),
 * a refusing SNS, and runs racing each other on one DynamoDB table. Each case runs the
 * scheduled poller until everything has had time to settle and then checks the deliveries
 * against the traffic's ground truth: nothing lost, nothing sent twice.
 */
import { DynamoDbStateStore } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import type { PollSummary } from '../../functions/core/poll/poll-use-case';
import type { CallSource, ClaimResult, StateStore } from '../../functions/core/ports';
import type { SandboxFaults } from '../../sandbox/plivo-sandbox';
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import { notifiedKeysOf, pollThrough } from '../support/crash';
import { makeTestTable } from '../support/dynalite';
import { expectedKeysAt, type Pipeline, pipelinesForEachTest } from '../support/pipeline';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');

const pipelines = pipelinesForEachTest();
let pipeline: Pipeline;

/** Every incident once plus healthy calls, ending 50 to 10 minutes before T0. */
function traffic(options: { callsPerMinute?: number; until?: Date } = {}): SandboxCall[] {
  return generateTraffic({
    seed: 31,
    from: new Date(T0.getTime() - 50 * MIN),
    to: options.until ?? new Date(T0.getTime() - 10 * MIN),
    callsPerMinute: options.callsPerMinute ?? 2,
    incidents: 'all',
  });
}

async function start(
  calls: SandboxCall[],
  options: { faults?: Partial<SandboxFaults>; config?: unknown; fetch?: typeof fetch } = {},
): Promise<Pipeline> {
  pipeline = await pipelines.start({ calls, start: T0, ...options });
  return pipeline;
}

/**
 * The client's fetch, with every `every`-th request never answered: it ends as the client's
 * request timeout ends such a request (a TimeoutError), at once. A timer racing the answers of
 * the other requests would make the test depend on the machine's speed (the client's real
 * timeout against a request that hangs is tested in plivo-client.test.ts, the sandbox's hang in
 * plivo-sandbox.test.ts).
 */
function timingOutEvery(every: number): typeof fetch {
  let n = 0;
  return (input, init) => {
    n += 1;
    if (n % every !== 0) return fetch(input, init);
    return Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  };
}

type RunResult = PollSummary | Error;

/** One scheduled run; a failed run is a result too (the schedule just runs again). */
async function runOnce(p: Pipeline, run: () => Promise<PollSummary> = () => p.run()): Promise<RunResult> {
  try {
    return await run();
  } catch (error) {
    return error as Error;
  }
}

/**
 * Scheduled runs every 5 minutes, `count` of them: the first at the clock's current time, or
 * 5 minutes on when the previous run was the last thing that happened (`afterARun`).
 */
async function runSchedule(
  p: Pipeline,
  count: number,
  options: { afterARun?: boolean } = {},
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (let i = 0; i < count; i += 1) {
    if (i > 0 || options.afterARun) p.clock.advance(5 * MIN);
    results.push(await runOnce(p));
  }
  return results;
}

interface Tally {
  /** Expected keys never delivered. */
  lost: string[];
  /** Keys delivered more than once. */
  duplicated: string[];
  /** Delivered keys no rule should have produced. */
  unexpected: string[];
}

function tally(p: Pipeline, calls: SandboxCall[], expected = expectedKeysAt(calls, p.clock.now())): Tally {
  const counts = new Map<string, number>();
  for (const key of p.notifier.sent.flatMap(notifiedKeysOf)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return {
    lost: expected.filter((k) => !counts.has(k)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([k]) => k),
    unexpected: [...counts.keys()].filter((k) => !expected.includes(k)),
  };
}

const NOTHING_WRONG: Tally = { lost: [], duplicated: [], unexpected: [] };

const faultCount = (p: Pipeline, fault: string) => p.sandbox.requests.filter((r) => r.fault === fault).length;

describe('Plivo faults: every finding still delivered once', () => {
  it('429 storm (every 2nd request, Retry-After 1 s)', async () => {
    const calls = traffic();
    const p = await start(calls, { faults: { status429Every: 2, retryAfterSeconds: 1 } });
    await runSchedule(p, 4);
    expect(faultCount(p, '429')).toBeGreaterThan(20);
    expect(p.client.stats().throttled).toBeGreaterThan(20);
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('5xx on every 3rd request', async () => {
    const calls = traffic();
    const p = await start(calls, { faults: { status5xxEvery: 3 } });
    await runSchedule(p, 4);
    expect(p.client.stats().serverErrors).toBeGreaterThan(20);
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('requests that never answer (every 6th): each ended by the request timeout', async () => {
    const calls = traffic({ callsPerMinute: 1 });
    const p = await start(calls, { fetch: timingOutEvery(6) });
    await runSchedule(p, 4);
    expect(p.client.stats().timeouts).toBeGreaterThan(5);
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('slow responses below the timeout are waited for, not retried', async () => {
    const calls = traffic({ callsPerMinute: 1 });
    // 150 ms, Plivo's slowest usual answer, against the default 10 s timeout: with 16 requests
    // in flight (the default insightsConcurrency) in a process shared with the sandbox, a busy
    // machine adds its own delays, far below the timeout.
    const p = await start(calls, { faults: { delayMs: 150 } });
    const [first] = await runSchedule(p, 4);
    expect(p.config.plivo.requestTimeoutMs).toBe(10_000);
    expect(first).toMatchObject({ status: 'completed' });
    expect(p.client.stats()).toMatchObject({ timeouts: 0, retries: 0 });
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('truncated bodies (every 3rd response cut in half)', async () => {
    const calls = traffic();
    const p = await start(calls, { faults: { truncatedBodyEvery: 3 } });
    await runSchedule(p, 4);
    expect(faultCount(p, 'truncated')).toBeGreaterThan(20);
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('non-JSON bodies (a proxy 502 HTML page every 3rd request)', async () => {
    const calls = traffic();
    const p = await start(calls, { faults: { nonJsonEvery: 3 } });
    await runSchedule(p, 4);
    expect(faultCount(p, 'non-json')).toBeGreaterThan(20);
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('schema drift (numbers arriving as objects): calls still evaluated, no crash', async () => {
    const calls = traffic();
    const p = await start(calls, { faults: { schemaDrift: true } });
    const results = await runSchedule(p, 4);
    const [first] = results;
    expect(first).toMatchObject({ status: 'completed', recordsSkipped: 2 }); // only the two malformed records
    expect((first as PollSummary).callsSeen).toBe(calls.length - 2);
    expect(results.every((r) => !(r instanceof Error))).toBe(true);
    // The drifted fields (rtt, plivo_quality_score) are unreadable, so their rules cannot
    // fire; every other finding, CDR and insights, is still delivered once.
    const readable = expectedKeysAt(calls, p.clock.now()).filter(
      (k) =>
        !k.startsWith('zentrunk-alerts:high-rtt#') && !k.startsWith('zentrunk-alerts:low-quality-score#'),
    );
    expect(readable.length).toBeGreaterThanOrEqual(8);
    expect(tally(p, calls, readable)).toEqual(NOTHING_WRONG);
  });

  it('insights 404 forever: judged on the CDR alone after poll.insightsWaitMinutes', async () => {
    const calls = traffic();
    const p = await start(calls, {
      faults: { insightsNeverReady: true },
      config: { poll: { insightsWaitMinutes: 15 } }, // three 5-minute runs
    });
    const results = await runSchedule(p, 3);
    const last = results.at(-1) as PollSummary;
    expect(last.insightsGaveUp).toBeGreaterThan(50);
    expect(await p.store.listPendingInsights()).toEqual([]);
    // Every CDR-rule finding went out once; no insights rule could fire.
    const cdrOnly = expectedKeysAt(calls, p.clock.now()).filter(
      (k) =>
        k.startsWith('zentrunk-alerts:zentrunk-hangup#') || k.startsWith('zentrunk-alerts:stir-unverified#'),
    );
    expect(cdrOnly.length).toBeGreaterThanOrEqual(4);
    expect(tally(p, calls, cdrOnly)).toEqual(NOTHING_WRONG);
  });

  it.each([400, 410, 403])(
    "one call's Insights answer %i for good: the runs complete, every other finding is delivered once",
    async (status) => {
      const calls = traffic();
      const refused = calls.find((c) => c.scenario === 'packet-loss') as SandboxCall;
      const p = await start(calls, { faults: { insightsStatusByCall: { [refused.callUuid]: status } } });
      const results = await runSchedule(p, 3);
      expect(results.filter((r) => r instanceof Error)).toEqual([]);
      expect(faultCount(p, 'insights-status')).toBeGreaterThanOrEqual(3);
      expect(p.sandbox.requests.filter((r) => r.fault === 'insights-status').map((r) => r.path)).toEqual(
        expect.arrayContaining([expect.stringContaining(refused.callUuid)]),
      );
      const others = expectedKeysAt(calls, p.clock.now()).filter((k) => !k.endsWith(`#${refused.callUuid}`));
      const result = tally(p, calls, others);
      expect(result.lost).toEqual([]);
      expect(result.duplicated).toEqual([]);
      // Only the refused call may have gone out beyond them: judged on its CDR alone, once it
      // is given up on (when that happens is the poll use case's error budget).
      expect(result.unexpected.filter((k) => !k.endsWith(`#${refused.callUuid}`))).toEqual([]);
    },
  );

  it('list answers not to be taken at face value (total_count 30 short, end_time filter 3 min wide, 5 MiB bodies)', async () => {
    const calls = traffic({ callsPerMinute: 3 });
    const p = await start(calls, {
      faults: { totalCountShortBy: 30, endTimeFilterSlackSeconds: 180, oversizedBodyEvery: 7 },
    });
    const results = await runSchedule(p, 4);
    expect(results.filter((r) => r instanceof Error)).toEqual([]);
    expect(faultCount(p, 'oversized')).toBeGreaterThan(0);
    expect(p.client.stats().invalidBodies).toBeGreaterThan(0);
    // Calls outside a run's window were listed, and skipped (each run lists them in its own window).
    expect(p.logs.some((l) => l.includes('outside the requested window'))).toBe(true);
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('credentials revoked mid-run: the run fails with PlivoAuthError, the cursor stays, all delivered later', async () => {
    const calls = traffic();
    const p = await start(calls, { faults: { rejectCredentialsAfter: 12 } });

    const failed = await runOnce(p);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).name).toBe('PlivoAuthError');
    expect(await p.store.getCursor()).toBeNull();
    expect(p.notifier.sent).toHaveLength(0);

    p.sandbox.faults.rejectCredentialsAfter = null;
    await runSchedule(p, 4, { afterARun: true });
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('Plivo down for several runs: runs fail, the cursor does not move, nothing lost after recovery', async () => {
    // Calls keep ending during the outage.
    const calls = traffic({ until: new Date(T0.getTime() + 30 * MIN) });
    const p = await start(calls);
    await runOnce(p);
    const before = await p.store.getCursor();
    expect(before).not.toBeNull();

    p.sandbox.faults.status5xxEvery = 1;
    const outage = await runSchedule(p, 4, { afterARun: true }); // T0+5 … T0+20
    expect(outage).toHaveLength(4);
    expect(outage.every((r) => r instanceof Error && r.name === 'PlivoUnavailableError')).toBe(true);
    expect(await p.store.getCursor()).toEqual(before);

    p.sandbox.faults.status5xxEvery = 0;
    await runSchedule(p, 8, { afterARun: true }); // T0+25 … T0+60: past the last insights delay
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('Insights endpoint failing while the CDR list works, for poll.insightsWaitMinutes, loses nothing', async () => {
    // The list succeeds, every Insights request then fails (HTTP 500) — e.g. Plivo's insights
    // service down for half an hour. Those calls' insights exist; an error is not a 404.
    // (It once failed: a failed Insights request was counted like a 404, so after six failing
    // runs the calls were judged on their CDR alone and their insight findings never alerted.)
    const calls = traffic({ callsPerMinute: 0 });
    const p = await start(calls, {
      config: { plivo: { maxAttempts: 2 }, poll: { insightsWaitMinutes: 30 } },
    });
    const insightsDown: CallSource = {
      listCalls: async (window) => {
        p.sandbox.faults.status5xxEvery = 0;
        const listed = await p.client.listCalls(window);
        p.sandbox.faults.status5xxEvery = 1;
        return listed;
      },
      countCalls: async (range) => {
        p.sandbox.faults.status5xxEvery = 0;
        const count = await p.client.countCalls(range);
        p.sandbox.faults.status5xxEvery = 1;
        return count;
      },
      getInsights: (uuid) => p.client.getInsights(uuid),
    };
    for (let i = 0; i < 6; i += 1) {
      if (i > 0) p.clock.advance(5 * MIN);
      await runOnce(p, () => pollThrough(p, { source: insightsDown }));
    }
    p.sandbox.faults.status5xxEvery = 0;
    await runSchedule(p, 3, { afterARun: true });
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });
});

describe('SNS refusing publishes', () => {
  it('for several runs: the runs fail, then every alert goes out once', async () => {
    const calls = traffic();
    const p = await start(calls);
    p.notifier.failAll = true;
    const refused = await runSchedule(p, 3);
    expect(refused.every((r) => r instanceof Error && /could not be published/.test(r.message))).toBe(true);
    expect(p.notifier.sent).toHaveLength(0);

    p.notifier.failAll = false;
    await runSchedule(p, 3, { afterARun: true });
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });
});

describe('runs racing each other', () => {
  it('two overlapping runs: one skips (lease held), nothing published twice', async () => {
    const calls = traffic();
    const p = await start(calls);
    const both = await Promise.all([p.run(), p.run()]);
    expect(both.map((s) => s.status).sort()).toEqual(['completed', 'skipped-lease-held']);
    await runSchedule(p, 3, { afterARun: true });
    expect(tally(p, calls)).toEqual(NOTHING_WRONG);
  });

  it('two runs past the lease (a run that outlived it) on two store instances: each alert claimed once', async () => {
    const calls = traffic();
    const p = await start(calls);
    const table = await makeTestTable(pipelines.endpoint());
    const storeA = new DynamoDbStateStore({
      tableName: table.tableName,
      client: table.documentClient,
      now: () => p.clock.now().getTime(),
    });
    const storeB = new DynamoDbStateStore({
      tableName: table.tableName,
      client: table.documentClient,
      now: () => p.clock.now().getTime(),
    });
    // As if each believed it held the lease: only the alert claims keep them apart.
    const claims: ClaimResult[] = [];
    const racing = (store: StateStore): StateStore =>
      Object.assign(Object.create(store) as StateStore, {
        acquireLease: async () => true,
        claimAlert: async (...args: Parameters<StateStore['claimAlert']>) => {
          const result = await store.claimAlert(...args);
          claims.push(result);
          return result;
        },
      });

    // One of them may then fail on the cursor (optimistic lock): that is fine, nothing is lost.
    await Promise.all([
      runOnce(p, () => pollThrough(p, { store: racing(storeA) })),
      runOnce(p, () => pollThrough(p, { store: racing(storeB) })),
    ]);
    const findings = expectedKeysAt(calls, p.clock.now()).length;
    // Both runs tried every finding; each was claimed, and published, by exactly one.
    expect(claims).toHaveLength(2 * findings);
    expect(claims.filter((c) => c === 'claimed')).toHaveLength(findings);
    expect(p.notifier.sent).toHaveLength(findings);
    expect(tally(p, calls, []).duplicated).toEqual([]);

    for (let i = 0; i < 3; i += 1) {
      p.clock.advance(5 * MIN);
      await runOnce(p, () => pollThrough(p, { store: storeA }));
    }
    expect(tally(p, calls, expectedKeysAt(calls, p.clock.now()))).toEqual(NOTHING_WRONG);
    table.client.destroy();
  });

  it('DynamoDB conditional claims: two stores claiming the same alerts at once, exactly one wins each', async () => {
    const table = await makeTestTable(pipelines.endpoint());
    let nowMs = T0.getTime();
    const make = () =>
      new DynamoDbStateStore({ tableName: table.tableName, client: table.documentClient, now: () => nowMs });
    const [a, b] = [make(), make()];
    const keys = Array.from({ length: 40 }, (_, i) => `zentrunk-alerts:race#${i}`);
    const opts = () => ({
      nowMs,
      inProgressUntilMs: nowMs + 240_000,
      expiresAtSec: Math.floor(nowMs / 1000) + 86_400,
    });
    const winners = (results: ClaimResult[][]) =>
      results.map((pair) => pair.filter((r) => r === 'claimed').length);

    // Fresh keys.
    const fresh = await Promise.all(
      keys.map((k) => Promise.all([a.claimAlert(k, opts()), b.claimAlert(k, opts())])),
    );
    expect(winners(fresh)).toEqual(keys.map(() => 1));
    expect(fresh.flat().filter((r) => r === 'in-progress')).toHaveLength(keys.length);

    // Stale claims (their run died): both try to take over, one does.
    nowMs += 300_000;
    const takeover = await Promise.all(
      keys.map((k) => Promise.all([a.claimAlert(k, opts()), b.claimAlert(k, opts())])),
    );
    expect(winners(takeover)).toEqual(keys.map(() => 1));

    // Completed: nobody claims again.
    await Promise.all(
      keys.map((k) =>
        a.completeAlert(k, { nowMs, messageId: 'm', expiresAtSec: Math.floor(nowMs / 1000) + 86_400 }),
      ),
    );
    nowMs += 300_000;
    const sent = await Promise.all(
      keys.map((k) => Promise.all([a.claimAlert(k, opts()), b.claimAlert(k, opts())])),
    );
    expect(sent.flat().every((r) => r === 'already-sent')).toBe(true);
    table.client.destroy();
  });
});
