/**
 * Keeping up at any volume, driven through the sandbox over simulated time: the read range is
 * worked through in slices, each saved before the next; a backlog larger than a run is worked
 * off run after run; a run killed mid-way loses at most its slice in flight; calls without
 * media cost no Insights request; over the budget, Insights go to a sample (incident calls
 * first) while every CDR rule still sees every call.
 */
import { CrashInjector } from '../support/crash';
import { pipelinesForEachTest, type Pipeline } from '../support/pipeline';
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import type { PollSummary } from '../../functions/core/poll/poll-use-case';
import { sliceTarget } from '../../functions/core/poll/plan-work';
import type { AlertMessage } from '../../functions/core/ports';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);

// The subject is the poll run's shape, not DynamoDB (the store contract covers both stores).
const pipelines = pipelinesForEachTest({ store: 'memory' });

function ready(calls: SandboxCall[]): SandboxCall[] {
  for (const c of calls) c.insightsReadyAt = c.endTime;
  return calls;
}

/** Lambda's remaining time, on the simulated clock the rate limiter advances. */
function deadline(p: Pipeline, budgetMs = 240_000): () => number {
  const start = p.clock.now().getTime();
  return () => budgetMs - (p.clock.now().getTime() - start);
}

const insightsUuid = (path: string) => /\/Call\/([^/]+)\/Insights\/$/.exec(path)?.[1] ?? null;

function insightsRequests(p: Pipeline, from = 0): string[] {
  return p.sandbox.requests
    .slice(from)
    .map((r) => insightsUuid(r.path))
    .filter((u): u is string => u !== null);
}

/** Per-call alert keys a set of messages carries (catch-up summaries carry several). */
function alertKeys(messages: readonly AlertMessage[]): string[] {
  return messages.flatMap((m) => {
    const calls = m.json.calls;
    if (m.json.kind === 'catch-up-summary' && Array.isArray(calls)) {
      return calls.map(
        (c) => `zentrunk-alerts:${(c as { rule: string }).rule}#${(c as { callUuid: string }).callUuid}`,
      );
    }
    return [m.dedupKey];
  });
}

describe('a backlog larger than one run', () => {
  // An hour of calls (about 650) and a budget of 20 requests / 5 s: a run with 50 usable
  // seconds gets through about 200 of them, in slices of 100.
  const RUN_MS = 80_000;
  const config = {
    poll: { firstRunLookbackMinutes: 70 },
    plivo: { maxRequestsPer5s: 20, insightsConcurrency: 4 },
    notifications: { alertBudget: { maxAlerts: 1000 } },
  };

  it('is worked off slice by slice over several runs: every alert once, no Insights fetched twice', async () => {
    const calls = ready(generateTraffic({ seed: 91, from: at(-60), to: T0, callsPerMinute: 10 }));
    const p = await pipelines.start({ calls, start: at(5), config, realTimeDivisor: 1000 });
    const publishedAtList: number[] = [];
    const notifier = {
      publish: async (message: AlertMessage) => {
        // How many list requests had been made when each alert went out.
        publishedAtList.push(p.sandbox.requests.filter((r) => r.path.endsWith('/Zentrunk/Call/')).length);
        return p.notifier.publish(message);
      },
    };

    const summaries: PollSummary[] = [];
    for (let run = 0; run < 10; run += 1) {
      const summary = await p.run({ remainingTimeMs: deadline(p, RUN_MS), notifier });
      summaries.push(summary);
      if (summary.slicesLeft === 0) break;
      p.clock.advance(5 * MIN);
    }

    const first = summaries[0] as PollSummary;
    expect(first.slices).toBeGreaterThanOrEqual(2);
    expect(first.slicesLeft).toBeGreaterThanOrEqual(1);
    // The first run saved its progress slice by slice and stopped short of the end of its range.
    expect(first.cursorAdvanced).toBe(true);
    expect(Date.parse(first.watermark as string)).toBeLessThan(Date.parse(first.readRange?.to as string));
    expect(first.callsSeen).toBeLessThan(calls.length);
    // Alerts went out while the run was still listing (slice by slice, not at the end).
    const listRequests = p.sandbox.requests.filter((r) => r.path.endsWith('/Zentrunk/Call/')).length;
    expect(Math.min(...publishedAtList)).toBeLessThan(listRequests / 2);
    // Every run made progress and the last one reached the end.
    expect(summaries.length).toBeGreaterThanOrEqual(3);
    expect(summaries.at(-1)?.slicesLeft).toBe(0);
    for (const s of summaries) expect(s.slices).toBeGreaterThan(0);
    // The watermark only ever moves forward (a slice of the overlap ends before it).
    const marks = summaries.map((s) => Date.parse(s.watermark ?? '1970-01-01T00:00:00Z'));
    expect(marks).toEqual([...marks].sort((a, b) => a - b));
    expect(summaries.every((s) => s.cursorAdvanced)).toBe(true);

    const expected = [
      ...new Set(calls.flatMap((c) => c.expectedAlerts.map((r) => `zentrunk-alerts:${r}#${c.callUuid}`))),
    ];
    const sent = alertKeys(p.notifier.sent);
    expect(new Set(sent)).toEqual(new Set(expected));
    expect(sent).toHaveLength(new Set(sent).size);
    // No call's Insights were asked for twice (all were ready at the first ask).
    const asked = insightsRequests(p);
    expect(asked).toHaveLength(new Set(asked).size);
  });

  it('a run killed at its deadline loses at most the slice in flight; the next run picks up there', async () => {
    const calls = ready(
      generateTraffic({ seed: 92, from: at(-60), to: T0, callsPerMinute: 10, incidents: 'none' }),
    );
    const p = await pipelines.start({ calls, start: at(5), config, realTimeDivisor: 1000 });
    let insightsAsked = 0;
    // The process dies (Lambda timeout) once 250 Insights requests were made: mid-slice.
    const injector = new CrashInjector({ killWhen: () => (insightsAsked >= 250 ? 'deadline' : null) });
    const source = injector.wrapSource({
      listCalls: (range) => p.client.listCalls(range),
      countCalls: (range) => p.client.countCalls(range),
      getInsights: (uuid) => {
        insightsAsked += 1;
        return p.client.getInsights(uuid);
      },
    });
    await expect(
      p.run({ source, store: injector.wrapStore(p.store), remainingTimeMs: () => 10 * 60_000 }),
    ).rejects.toThrow(/simulated crash/);
    const killedRun = new Set(insightsRequests(p));
    const cursor = await p.store.getCursor();
    // Slices before the one in flight were saved.
    expect(cursor).not.toBeNull();

    const before = p.sandbox.requests.length;
    // The dead run's lease lapses with the time it had.
    p.clock.advance(10 * MIN);
    let summary = await p.run({ remainingTimeMs: () => 10 * 60_000 });
    expect(summary.status).not.toBe('skipped-lease-held');
    while (summary.slicesLeft > 0) summary = await p.run({ remainingTimeMs: () => 10 * 60_000 });
    const again = insightsRequests(p, before).filter((u) => killedRun.has(u));
    // Only the killed slice's calls are asked again: at most one slice of the 250 asked
    // before the kill (a slice is about a minute of requests at this budget: 194 calls).
    const slice = sliceTarget(p.config, 10 * 60_000 - 30_000, 1);
    expect(slice).toBeLessThan(250);
    expect(again.length).toBeGreaterThan(0);
    expect(again.length).toBeLessThanOrEqual(slice);
    // And every call was looked at in the end.
    expect(new Set(insightsRequests(p))).toEqual(new Set(calls.map((c) => c.callUuid)));
  });
});

describe('calls without media', () => {
  const noPdd = {
    rules: { 'high-post-dial-delay': { enabled: false } },
    notifications: { alertBudget: { maxAlerts: 1000 } },
    plivo: { maxRequestsPer5s: 300, insightsConcurrency: 8 },
  };

  it('get no Insights request when no post-dial-delay rule is on, and no alert is lost by it', async () => {
    const calls = ready(generateTraffic({ seed: 93, from: at(-30), to: T0, callsPerMinute: 8 }));
    const unanswered = calls.filter((c) => c.answerTime === null);
    expect(unanswered.length).toBeGreaterThan(10);

    // The same traffic judged twice: skipping no-media calls, and fetching every call's
    // Insights (a post-dial-delay rule on, at a threshold no call reaches).
    const skip = await pipelines.start({ calls, start: at(10), config: noPdd, realTimeDivisor: 1000 });
    const all = await pipelines.start({
      calls,
      start: at(10),
      realTimeDivisor: 1000,
      config: { ...noPdd, rules: { 'high-post-dial-delay': { enabled: true, thresholdMs: 3_600_000 } } },
    });
    const a = await skip.run();
    const b = await all.run();

    expect(a.insightsSkippedNoMedia).toBe(unanswered.length);
    expect(b.insightsSkippedNoMedia).toBe(0);
    expect(insightsRequests(all).length - insightsRequests(skip).length).toBe(unanswered.length);
    for (const c of unanswered) expect(insightsRequests(skip)).not.toContain(c.callUuid);
    // Same alerts either way, Zentrunk hangups of unanswered calls included.
    expect(alertKeys(skip.notifier.sent).sort()).toEqual(alertKeys(all.notifier.sent).sort());
    expect(alertKeys(skip.notifier.sent).some((k) => k.startsWith('zentrunk-alerts:zentrunk-hangup#'))).toBe(
      true,
    );
  });

  it('still get their Insights when a post-dial-delay rule is on: a slow unanswered call alerts', async () => {
    const calls = ready(
      generateTraffic({ seed: 94, from: at(-10), to: T0, callsPerMinute: 5, incidents: 'none' }),
    );
    const slow = calls.find((c) => c.answerTime === null) as SandboxCall;
    slow.postDialDelayMs = 9000;
    const p = await pipelines.start({ calls, start: at(10), config: { plivo: { maxRequestsPer5s: 300 } } });
    const summary = await p.run();
    expect(summary.insightsSkippedNoMedia).toBe(0);
    expect(p.notifier.keys()).toContain(`zentrunk-alerts:high-post-dial-delay#${slow.callUuid}`);
  });
});

describe('calls arriving at five times the budget', () => {
  // 5 requests / 5 s (1/s) over a 5-minute schedule with 210 usable seconds: about 0.57 calls/s
  // can be given Insights. Traffic: 170 calls a minute (about 2.8/s), five times that.
  const TRUNK = 'acme.zt.plivo.com';
  const config = {
    plivo: { maxRequestsPer5s: 5, insightsConcurrency: 4 },
    notifications: { alertBudget: { maxAlerts: 1000 } },
    grouping: { enabled: true, groupBy: ['trunk_domain'], groupWaitSeconds: 0 },
    // CDRs here exist from their call's end: no settle time, so a run reads every call up to now.
    poll: { firstRunLookbackMinutes: 5, overlapMinutes: 0, settleSeconds: 0 },
  };

  function overload(from: Date, to: Date, seed: number): SandboxCall[] {
    const calls = ready(generateTraffic({ seed, from, to, callsPerMinute: 170, incidents: 'none' }));
    // A Zentrunk hangup incident and a packet-loss incident, both on one trunk.
    const onTrunk = calls.filter((c) => c.trunkDomain === TRUNK && c.answerTime !== null);
    for (const c of onTrunk.slice(0, 20)) {
      c.hangupSource = 'zentrunk';
      c.hangupCauseCode = 3020;
      c.hangupCauseName = 'rtp_timeout';
    }
    for (const c of onTrunk.slice(20)) c.packetLossPct = 4;
    return calls;
  }

  it('keeps up: every call seen by the CDR rules, Insights for a sample (incident calls first), coverage stated', async () => {
    const first = overload(at(-5), T0, 95);
    const second = overload(T0, at(5), 96);
    const p = await pipelines.start({
      calls: [...first, ...second],
      start: T0,
      config,
      realTimeDivisor: 1000,
    });

    const one = await p.run({ remainingTimeMs: deadline(p), scheduleIntervalMs: 5 * MIN });
    expect(one.insightsShare).toBeLessThan(0.35);
    expect(one.insightsShare).toBeGreaterThan(0.05);
    expect(one.insightsSampledOut).toBeGreaterThan(0);
    // Nothing left behind: the whole range was read in one run, lag within the schedule.
    expect(one.slicesLeft).toBe(0);
    expect(one.callsSeen).toBe(first.length);
    expect(one.lagSeconds).toBeLessThanOrEqual(2 * 5 * 60);

    // The trunk's packet-loss group fires from the sample; the next run gives every call on
    // that trunk its Insights first. Runs start every 5 minutes, however long the last took.
    p.clock.advance(at(5).getTime() - p.clock.now().getTime());
    const before = p.sandbox.requests.length;
    const two = await p.run({ remainingTimeMs: deadline(p), scheduleIntervalMs: 5 * MIN });
    expect(two.lagSeconds).toBeLessThanOrEqual(2 * 5 * 60);
    const asked = new Set(insightsRequests(p, before));
    const trunkCalls = second.filter((c) => c.trunkDomain === TRUNK && c.answerTime !== null);
    const otherCalls = second.filter((c) => c.trunkDomain !== TRUNK && c.answerTime !== null);
    const share = (cs: SandboxCall[]) => cs.filter((c) => asked.has(c.callUuid)).length / cs.length;
    // The incident's trunk carries more calls than the budget buys Insights for: all of it
    // goes there (a sample of that trunk), none to the quiet trunks.
    expect(trunkCalls.length).toBeGreaterThan(two.insightsSampled);
    expect(share(trunkCalls)).toBeGreaterThan(0.2);
    expect(share(otherCalls)).toBeLessThan(0.02);

    // Every Zentrunk hangup (a CDR rule) was counted, sampled or not.
    const groupJson = p.notifier.sent.map((m) => m.json).filter((j) => j.kind === 'group');
    const hangups = groupJson.filter((j) => j.rule === 'zentrunk-hangup');
    expect(Math.max(...hangups.map((j) => j.count as number))).toBeGreaterThanOrEqual(20);
    // The packet-loss group notice says it was counted on a sample.
    const loss = p.notifier.sent.find((m) => m.json.kind === 'group' && m.json.rule === 'packet-loss');
    expect(loss?.text).toMatch(/Insights: +fetched for [\d.]+ % of this run's calls/);
    expect(loss?.json.insightsCoverage).toBeLessThan(1);
  });

  it('samples a burst that follows a quiet overlap, though the quiet overlap let the run skip counting it', async () => {
    // 2 calls a minute for 20 minutes, then 3,000 calls ending within one minute (~50/s, above
    // what 60 requests / 5 s serves), at a 1-minute schedule.
    const quiet = ready(
      generateTraffic({ seed: 97, from: at(-20), to: at(0), callsPerMinute: 2, incidents: 'none' }),
    );
    const burst = ready(
      generateTraffic({ seed: 98, from: at(0), to: at(1), callsPerMinute: 3000, incidents: 'none' }),
    );
    const p = await pipelines.start({
      calls: [...quiet, ...burst],
      start: at(-19),
      config: { plivo: { maxRequestsPer5s: 60 }, poll: { firstRunLookbackMinutes: 2, settleSeconds: 0 } },
      realTimeDivisor: 1000,
    });
    for (let minute = -19; minute <= 0; minute += 1) {
      p.clock.advance(at(minute).getTime() - p.clock.now().getTime());
      await p.run({ remainingTimeMs: deadline(p, 50_000), scheduleIntervalMs: MIN });
    }
    p.clock.advance(at(1).getTime() - p.clock.now().getTime());
    const run = await p.run({ remainingTimeMs: deadline(p, 50_000), scheduleIntervalMs: MIN });
    // Not counted (the overlap said the account is quiet), sampled all the same.
    expect(run.callsInRange).toBeNull();
    expect(run.callsSeen).toBeGreaterThan(2500);
    expect(run.insightsShare).toBeLessThan(0.5);
    expect(run.insightsSampledOut).toBeGreaterThan(1000);
    expect(run.cursorAdvanced).toBe(true);
  });
});
