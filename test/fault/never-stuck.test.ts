/**
 * Never stuck: a count that lies, or an Insights API that is down while listing works, must not
 * freeze the cursor or hold back the CDR-only alerts while every run reports success. Simulated
 * time (the pipeline's clock); Plivo is the sandbox, behind a source that lies or fails.
 */
import { SourceUnavailableError } from '../../functions/core/errors';
import type { CallSource } from '../../functions/core/ports';
import type { PollSummary } from '../../functions/core/poll/poll-use-case';
import { runOutcome } from '../../functions/poller/classify-failure';
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import { type Pipeline, pipelinesForEachTest } from '../support/pipeline';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);

const pipelines = pipelinesForEachTest({ store: 'memory' });

/** The last 50 minutes: every incident once among healthy calls, Insights ready at hangup. */
function traffic(seed: number): SandboxCall[] {
  const calls = generateTraffic({ seed, from: at(-50), to: at(-1), callsPerMinute: 2, incidents: 'all' });
  for (const c of calls) if (c.insightsReadyAt) c.insightsReadyAt = c.endTime;
  return calls;
}

const CONFIG = {
  plivo: { maxRequestsPer5s: 300, insightsConcurrency: 8 },
  poll: { firstRunLookbackMinutes: 60 },
  notifications: { alertBudget: { maxAlerts: 500 } },
};

/** The dedup keys of the CDR-only rules' alerts these calls owe (they need no Insights). */
function cdrOnlyKeys(calls: readonly SandboxCall[]): string[] {
  return calls.flatMap((c) =>
    c.expectedAlerts
      .filter((rule) => rule.startsWith('zentrunk-hangup'))
      .map((rule) => `zentrunk-alerts:${rule}#${c.callUuid}`),
  );
}

/** Runs every `minutes` of simulated time, each with the Lambda's 240 s counted on the clock. */
async function runEvery(p: Pipeline, source: CallSource, runs: number, minutes = 5): Promise<PollSummary[]> {
  const out: PollSummary[] = [];
  for (let i = 0; i < runs; i++) {
    const deadline = p.clock.now().getTime() + 240_000;
    out.push(await p.run({ source, remainingTimeMs: () => deadline - p.clock.now().getTime() }));
    p.clock.advance(minutes * MIN);
  }
  return out;
}

describe('a count that lies', () => {
  it.each([
    ['far too high', () => 500_000],
    ['far too low', () => 1],
    ['different on every request', (n: number) => (n % 2 === 0 ? 400_000 : 3)],
  ])(
    '(%s) never freezes the cursor: CDR alerts go out in the first run, the watermark moves every run',
    async (_, lie) => {
      const calls = traffic(41);
      const p = await pipelines.start({ calls, start: T0, config: CONFIG });
      let counted = 0;
      const lying: CallSource = {
        listCalls: (range) => p.client.listCalls(range),
        getInsights: (uuid) => p.client.getInsights(uuid),
        countCalls: async () => lie(counted++),
      };

      const summaries = await runEvery(p, lying, 4);

      // Every CDR-only alert the calls owe went out in the first run.
      const due = cdrOnlyKeys(calls);
      expect(due.length).toBeGreaterThan(0);
      const firstRunKeys = p.notifier.keys().filter((k) => due.includes(k));
      expect(new Set(firstRunKeys)).toEqual(new Set(due));
      // The watermark moved in every run, and the lag stays within a schedule interval.
      const watermarks = summaries.map((s) => s.watermark);
      expect(summaries.every((s) => s.cursorAdvanced)).toBe(true);
      expect(new Set(watermarks).size).toBe(watermarks.length);
      expect(summaries.at(-1)?.lagSeconds ?? Infinity).toBeLessThan(5 * 60);
      // Insights are not sampled away on the strength of the lie.
      expect(summaries.reduce((n, s) => n + s.insightsSampledOut, 0)).toBe(0);
    },
  );

  it('a run whose cursor could not move while calls wait past it is not a success', () => {
    const stuck = {
      cursorAdvanced: false,
      slicesLeft: 3,
      insightsErrors: 0,
      insightsFetched: 10,
    } as PollSummary;
    expect(runOutcome(stuck)).toMatchObject({ ok: false, kind: 'falling-behind' });
    const idle = {
      cursorAdvanced: false,
      slicesLeft: 0,
      insightsErrors: 0,
      insightsFetched: 0,
    } as PollSummary;
    expect(runOutcome(idle).ok).toBe(true);
  });
});

describe('an Insights-only outage', () => {
  it.each([
    ['timeouts (5 attempts of 10 s each)', 50_000],
    ['5xx after retries', 8_000],
  ])('(%s) never holds back the CDR-only alerts or the listing', async (_, costMs) => {
    const calls = traffic(42);
    const p = await pipelines.start({ calls, start: T0, config: CONFIG });
    const lists: number[] = [];
    const insightsAsked: number[] = [];
    let run = 0;
    const insightsDown: CallSource = {
      listCalls: (range) => {
        lists.push(run);
        return p.client.listCalls(range);
      },
      countCalls: (range) => p.client.countCalls(range),
      getInsights: async () => {
        insightsAsked[run] = (insightsAsked[run] ?? 0) + 1;
        // The client's retries take their time, then it gives up; the run's 8 requests in
        // flight wait side by side, so each adds an eighth of it to the clock.
        p.clock.advance(costMs / CONFIG.plivo.insightsConcurrency);
        throw new SourceUnavailableError('Plivo Insights failed after 5 attempts (test)');
      },
    };

    const summaries: PollSummary[] = [];
    const arrived: SandboxCall[] = [];
    for (run = 0; run < 6; run++) {
      summaries.push(...(await runEvery(p, insightsDown, 1)));
      // New calls keep arriving, incidents among them, during the outage.
      const now = p.clock.now().getTime();
      const fresh = generateTraffic({
        seed: 100 + run,
        from: new Date(now - 5 * MIN),
        to: new Date(now - 10_000),
        callsPerMinute: 2,
        incidents: ['zentrunk-hangup'],
      });
      p.sandbox.addCalls(fresh);
      arrived.push(...fresh);
    }

    const due = cdrOnlyKeys(calls);
    expect(due.length).toBeGreaterThan(0);
    // All of them in the first run.
    expect(new Set(p.notifier.keys().filter((k) => due.includes(k)))).toEqual(new Set(due));
    expect(summaries[0]?.alertsPublished).toBeGreaterThanOrEqual(due.length);
    // The calls that arrived during the outage: their CDR-only alerts went out too.
    const arrivedDue = cdrOnlyKeys(arrived.slice(0, -arrived.length / 6));
    expect(arrivedDue.length).toBeGreaterThan(0);
    expect(p.notifier.keys()).toEqual(expect.arrayContaining(arrivedDue));
    // After 3 failures in a row a run stops asking (the requests in flight then still end).
    for (const asked of insightsAsked)
      expect(asked).toBeLessThanOrEqual(3 + CONFIG.plivo.insightsConcurrency);
    // Every run lists (new calls are judged) and moves the watermark.
    expect(new Set(lists)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(summaries.every((s) => s.cursorAdvanced)).toBe(true);
    // ...and says Plivo's Insights are down: no run passes for healthy.
    for (const s of summaries) expect(runOutcome(s)).toMatchObject({ ok: false, kind: 'plivo-unavailable' });
  });
});

describe('a watermark in the future (clock skew)', () => {
  it('is replaced by the first run that reads up to now, not kept until real time passes it', async () => {
    const calls = traffic(43);
    const p = await pipelines.start({ calls, start: T0, config: CONFIG });
    const future = new Date(T0.getTime() + 60 * MIN).toISOString();
    await p.store.saveCursor(future, null);

    const [first] = await runEvery(p, p.client, 1);

    expect(first?.cursorAdvanced).toBe(true);
    const cursor = await p.store.getCursor();
    expect(Date.parse(cursor?.watermark ?? future)).toBeLessThanOrEqual(T0.getTime());
    // The next run moves it on from there.
    const [second] = await runEvery(p, p.client, 1);
    expect(second?.cursorAdvanced).toBe(true);
    expect(Date.parse((await p.store.getCursor())?.watermark ?? '')).toBeGreaterThan(
      Date.parse(cursor?.watermark ?? ''),
    );
  });
});

describe('a run whose time is short', () => {
  it('starting with its usable time spent (but not its margin), still sends its CDR alerts and moves the cursor past a new slice', async () => {
    const calls = traffic(44);
    const p = await pipelines.start({ calls, start: T0, config: CONFIG });
    // 25 s left of the Lambda's time: past the 30 s safety margin's start, before its half.
    const summary = await p.run({ remainingTimeMs: () => 25_000 });

    expect(summary.cursorAdvanced).toBe(true);
    const due = cdrOnlyKeys(calls.filter((c) => Date.parse(summary.watermark ?? '') >= c.endTime.getTime()));
    expect(due.length).toBeGreaterThan(0);
    expect(p.notifier.keys()).toEqual(expect.arrayContaining(due));
  });

  it('owed calls with slow Insights take at most their share: the oldest first, and new calls are still listed and judged', async () => {
    // 300 calls whose Insights are not ready at the first run: all owed by the second.
    const calls = generateTraffic({
      seed: 45,
      from: at(-50),
      to: at(-1),
      callsPerMinute: 6,
      incidents: 'none',
    });
    for (const c of calls) c.insightsReadyAt = at(2);
    const p = await pipelines.start({ calls, start: T0, config: CONFIG });
    const asked: string[] = [];
    let slowFrom = Number.POSITIVE_INFINITY;
    const slow: CallSource = {
      listCalls: (range) => p.client.listCalls(range),
      countCalls: (range) => p.client.countCalls(range),
      getInsights: async (uuid) => {
        if (p.clock.now().getTime() >= slowFrom) {
          asked.push(uuid);
          // 6 s an answer, 8 at a time.
          p.clock.advance(6_000 / CONFIG.plivo.insightsConcurrency);
        }
        return p.client.getInsights(uuid);
      },
    };
    const [first] = await runEvery(p, slow, 1);
    // Asked and not ready, or not asked (younger than a call found without Insights).
    const owedFirst = (first?.insightsNotReady ?? 0) + (first?.insightsNotYet ?? 0);
    expect(owedFirst).toBeGreaterThan(250);
    slowFrom = p.clock.now().getTime();
    const fresh = generateTraffic({
      seed: 46,
      from: at(1),
      to: at(4),
      callsPerMinute: 2,
      incidents: ['zentrunk-hangup'],
    });
    p.sandbox.addCalls(fresh);

    const [second] = await runEvery(p, slow, 1);

    // The owed batch kept to its third of the run (~70 of 210 s, at 0.75 s an answer), and the
    // new calls were listed, judged and alerted.
    const owedAsked = asked.filter((uuid) => calls.some((c) => c.callUuid === uuid));
    expect(owedAsked.length).toBeLessThan(0.5 * owedFirst);
    expect(second?.cursorAdvanced).toBe(true);
    expect(p.notifier.keys()).toEqual(expect.arrayContaining(cdrOnlyKeys(fresh)));
    // The owed calls taken this run were the oldest.
    const byEnd = [...calls].sort((a, b) => a.endTime.getTime() - b.endTime.getTime()).map((c) => c.callUuid);
    const oldest = new Set(byEnd.slice(0, second?.pendingRetried ?? 0));
    expect(owedAsked.length).toBeGreaterThan(20);
    expect(owedAsked.every((uuid) => oldest.has(uuid))).toBe(true);
  });
});
