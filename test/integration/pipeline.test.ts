/**
 * The whole alerting path over real HTTP (the Plivo sandbox) and a real DynamoDB-compatible
 * server (dynalite), in simulated time: poll use case + Plivo client + DynamoDB store.
 */
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import { expectedKeysAt, type Pipeline, pipelinesForEachTest } from '../support/pipeline';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');

const pipelines = pipelinesForEachTest();
let pipeline: Pipeline;

/** Every incident, ending between 50 and 10 minutes before T0, plus healthy traffic. */
function incidentTraffic(seed = 7): SandboxCall[] {
  return [
    ...generateTraffic({
      seed,
      from: new Date(T0.getTime() - 50 * MIN),
      to: new Date(T0.getTime() - 10 * MIN),
      callsPerMinute: 3,
      incidents: 'all',
    }),
  ];
}

const byScenario = (calls: SandboxCall[], scenario: string) => calls.filter((c) => c.scenario === scenario);

describe('the alerting pipeline', () => {
  it('alerts every finding of a window once, and nothing for healthy, quiet or malformed calls', async () => {
    const calls = incidentTraffic();
    pipeline = await pipelines.start({ calls, start: T0 });

    const summary = await pipeline.run();

    expect(summary.status).toBe('completed');
    expect(summary.firstRun).toBe(true);
    expect(summary.recordsSkipped).toBe(2); // the two malformed records; the rest still alerts
    const expected = expectedKeysAt(calls, T0);
    expect(pipeline.notifier.keys().sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(12);
    expect(summary.alertsPublished).toBe(expected.length);
    expect(summary.callsSeen).toBeGreaterThan(100);
  });

  it('publishes nothing new when the next run covers the same calls again', async () => {
    const calls = incidentTraffic();
    pipeline = await pipelines.start({ calls, start: T0 });
    await pipeline.run();
    const first = pipeline.notifier.sent.length;

    pipeline.clock.advance(5 * MIN); // the overlap re-reads the last 15 minutes
    const second = await pipeline.run();

    expect(pipeline.notifier.sent.length).toBe(first);
    expect(second.alertsPublished).toBe(0);
    // The overlap is counted, not listed again: Plivo counts no call there that was not seen.
    expect(second.lateParts).toBe(0);
    expect(second.lateCountRequests).toBe(0);
    expect(second.callsAlreadyEvaluated).toBe(0);
  });

  it('alerts once for a CDR that shows up late, inside the overlap', async () => {
    const calls = incidentTraffic();
    const [lateCdr] = byScenario(calls, 'late-cdr');
    if (!lateCdr) throw new Error('traffic has no late-cdr incident');
    // Make the CDR appear only after the first run's window closed.
    lateCdr.endTime = new Date(T0.getTime() - 2 * MIN);
    lateCdr.cdrReadyAt = new Date(T0.getTime() + 4 * MIN);
    lateCdr.insightsReadyAt = new Date(T0.getTime() + 4 * MIN);
    pipeline = await pipelines.start({ calls, start: T0 });
    const key = `zentrunk-alerts:packet-loss#${lateCdr.callUuid}`;

    await pipeline.run();
    expect(pipeline.notifier.keys()).not.toContain(key);

    pipeline.clock.advance(5 * MIN);
    await pipeline.run();
    pipeline.clock.advance(5 * MIN);
    await pipeline.run();

    expect(pipeline.notifier.keys().filter((k) => k === key)).toHaveLength(1);
  });

  it('alerts on a later run when insights answered 404 at first', async () => {
    const calls = incidentTraffic();
    const [slow] = byScenario(calls, 'insights-late');
    if (!slow) throw new Error('traffic has no insights-late incident');
    slow.insightsReadyAt = new Date(T0.getTime() + 7 * MIN);
    pipeline = await pipelines.start({ calls, start: T0 });
    const key = `zentrunk-alerts:high-jitter#${slow.callUuid}`;

    const first = await pipeline.run();
    expect(first.insightsNotReady).toBeGreaterThanOrEqual(1);
    expect(pipeline.notifier.keys()).not.toContain(key);
    const pending = await pipeline.store.listPendingInsights();
    expect(pending.map((p) => p.call.callUuid)).toContain(slow.callUuid);

    pipeline.clock.advance(5 * MIN); // still 404
    await pipeline.run();
    expect(pipeline.notifier.keys()).not.toContain(key);

    pipeline.clock.advance(5 * MIN); // ready now
    const third = await pipeline.run();
    expect(pipeline.notifier.keys().filter((k) => k === key)).toHaveLength(1);
    expect(third.pendingRetried).toBeGreaterThanOrEqual(1);
    expect((await pipeline.store.listPendingInsights()).map((p) => p.call.callUuid)).not.toContain(
      slow.callUuid,
    );
  });

  it('judges a call on its CDR alone once insights never come, and says so', async () => {
    const calls = incidentTraffic();
    const [slow] = byScenario(calls, 'insights-late');
    if (!slow) throw new Error('traffic has no insights-late incident');
    slow.hangupSource = 'zentrunk';
    slow.hangupCauseCode = 5030;
    slow.hangupCauseName = 'internal_error';
    slow.expectedAlerts = ['zentrunk-hangup'];
    pipeline = await pipelines.start({
      calls,
      start: T0,
      faults: { insightsNeverReady: true },
      config: { poll: { insightsWaitMinutes: 10 } }, // two 5-minute runs
    });

    await pipeline.run();
    pipeline.clock.advance(5 * MIN);
    const second = await pipeline.run();

    expect(second.insightsGaveUp).toBeGreaterThan(0);
    expect(await pipeline.store.listPendingInsights()).toEqual([]);
    // The CDR rule alerted on the first run, without waiting for insights.
    const hangup = pipeline.notifier.sent.filter(
      (m) => m.dedupKey === `zentrunk-alerts:zentrunk-hangup#${slow.callUuid}`,
    );
    expect(hangup).toHaveLength(1);
    // Insight rules never fired: nothing to judge them on.
    expect(pipeline.notifier.keys().some((k) => k.startsWith('zentrunk-alerts:high-jitter#'))).toBe(false);
  });

  it('waits for insights the same wall-clock time whether the poller runs every minute or every 5 minutes', async () => {
    const gaveUpAt = async (everyMinutes: number) => {
      pipeline = await pipelines.start({
        calls: incidentTraffic(),
        start: T0,
        faults: { insightsNeverReady: true },
        config: { poll: { insightsWaitMinutes: 15 } },
      });
      while (pipeline.clock.now().getTime() < T0.getTime() + 30 * MIN) {
        pipeline.clock.advance(everyMinutes * MIN);
        const summary = await pipeline.run({ scheduleIntervalMs: everyMinutes * MIN });
        if (summary.insightsGaveUp > 0) {
          const left = (await pipeline.store.listPendingInsights()).length;
          return { minute: (pipeline.clock.now().getTime() - T0.getTime()) / MIN, left };
        }
      }
      return null;
    };
    // Every call was first seen at the first run, a minute or five after T0, and looked at
    // again on every run: 15 minutes of "not ready" are fifteen 1-minute runs or three 5-minute ones.
    expect(await gaveUpAt(1)).toEqual({ minute: 15, left: 0 });
    expect(await gaveUpAt(5)).toEqual({ minute: 15, left: 0 });
  });

  it('asks again for Insights that do not come less and less often, and still gives up on time', async () => {
    pipeline = await pipelines.start({
      calls: incidentTraffic(),
      start: T0,
      faults: { insightsNeverReady: true },
    });
    let gaveUpAt: number | null = null;
    while (pipeline.clock.now().getTime() < T0.getTime() + 70 * MIN) {
      pipeline.clock.advance(MIN);
      const summary = await pipeline.run({ scheduleIntervalMs: MIN });
      if (summary.insightsGaveUp > 0 && gaveUpAt === null) {
        gaveUpAt = (pipeline.clock.now().getTime() - T0.getTime()) / MIN;
      }
    }
    // poll.insightsWaitMinutes (60): the first ask, at minute 1, counts its interval.
    expect(gaveUpAt).toBe(60);
    expect(await pipeline.store.listPendingInsights()).toEqual([]);
    // A call asked at most ~16 times in that hour, where asking every run would be 60; and most
    // calls not at all once an older call's Insights were found missing in the same run (their
    // wait counted all the same, so they gave up on time too).
    const asks = new Map<string, number>();
    for (const r of pipeline.sandbox.requests) {
      const uuid = /\/Call\/([^/]+)\/Insights\/$/.exec(r.path)?.[1];
      if (uuid) asks.set(uuid, (asks.get(uuid) ?? 0) + 1);
    }
    const calls = new Set(incidentTraffic().map((c) => c.callUuid));
    expect(asks.size).toBeGreaterThan(0);
    expect(Math.max(...asks.values())).toBeLessThanOrEqual(20);
    const total = [...asks.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(calls.size * 4);
  });

  it('reads the wait of a pending call saved before the time was kept as its count of runs', async () => {
    pipeline = await pipelines.start({
      calls: incidentTraffic(),
      start: T0,
      faults: { insightsNeverReady: true },
    });
    await pipeline.run();
    const pending = await pipeline.store.listPendingInsights();
    expect(pending.length).toBeGreaterThan(10);
    // Asked (a few, oldest and youngest first) or not asked yet (younger than a call found
    // without Insights): each waited its 5-minute interval.
    expect(pending.every((p) => p.attempts <= 1 && p.waitedMs === 5 * MIN)).toBe(true);
    expect(pending.some((p) => p.attempts === 1)).toBe(true);
    // As the previous code saved them: counts only. Half of them have looked 10 times, half 11.
    await pipeline.store.putPendingInsights(
      pending.map(({ waitedMs: _w, failedMs: _f, ...p }, i) => ({ ...p, attempts: i % 2 === 0 ? 10 : 11 })),
      Math.floor(T0.getTime() / 1000) + 86_400,
    );

    pipeline.clock.advance(5 * MIN);
    const next = await pipeline.run();

    // 11 runs and this one are the hour of poll.insightsWaitMinutes; 10 and this one are not.
    expect(next.insightsGaveUp).toBe(Math.floor(pending.length / 2));
    const left = await pipeline.store.listPendingInsights();
    expect(left).toHaveLength(Math.ceil(pending.length / 2));
    expect(left.every((p) => p.attempts >= 10 && p.attempts <= 11 && p.waitedMs === 55 * MIN)).toBe(true);
  });

  it('retries 429s and 5xx from Plivo and completes the run with every alert', async () => {
    const calls = incidentTraffic();
    pipeline = await pipelines.start({
      calls,
      start: T0,
      faults: { status429Every: 5, status5xxEvery: 7, retryAfterSeconds: 1 },
      // One request at a time: the sandbox faults the 5th, 7th, ... request it receives, so
      // with requests in parallel which call gets them (and whether one call is refused on all
      // three attempts, its alert then waiting for the next run) would depend on timing.
      config: { plivo: { insightsConcurrency: 1 } },
      listPagesAhead: 0,
    });

    const summary = await pipeline.run();

    expect(summary.status).toBe('completed');
    const stats = pipeline.client.stats();
    expect(stats.throttled).toBeGreaterThan(5);
    expect(stats.serverErrors).toBeGreaterThan(3);
    const faulted = pipeline.sandbox.requests.filter((r) => r.fault !== null);
    expect(faulted.length).toBeGreaterThan(8);
    expect(pipeline.notifier.keys().sort()).toEqual(expectedKeysAt(calls, T0));
  });

  it('leaves the cursor alone when a publish fails, and sends the alert on the next run', async () => {
    const calls = incidentTraffic();
    pipeline = await pipelines.start({ calls, start: T0 });
    pipeline.notifier.failNext = 1;

    await expect(pipeline.run()).rejects.toThrow(/could not be published/);
    const afterFailure = pipeline.notifier.keys();

    pipeline.clock.advance(5 * MIN);
    await pipeline.run();
    const all = pipeline.notifier.keys();
    expect(new Set(all).size).toBe(all.length); // no duplicates
    // Everything due by the first run went out, exactly once, the refused one included.
    const due = expectedKeysAt(calls, T0);
    expect(afterFailure).toHaveLength(due.length - 1);
    expect(all.filter((k) => due.includes(k)).sort()).toEqual(due);
  });

  it('folds findings past the per-run budget into one catch-up summary', async () => {
    const calls = incidentTraffic();
    pipeline = await pipelines.start({
      calls,
      start: T0,
      config: { notifications: { alertBudget: { maxAlerts: 3 } } },
    });

    const summary = await pipeline.run();

    const individual = pipeline.notifier.sent.filter((m) => m.attributes.rule !== 'catch-up-summary');
    const summaries = pipeline.notifier.sent.filter((m) => m.attributes.rule === 'catch-up-summary');
    expect(individual).toHaveLength(3);
    expect(summaries).toHaveLength(1);
    expect(summary.findingsSummarized).toBe(summary.findings - 3);
    expect(summaries[0]?.subject).toMatch(/more findings/);
    expect(summaries[0]?.subject.length).toBeLessThan(100);

    // Summarised findings count as notified: the next run over the same calls sends nothing.
    pipeline.clock.advance(5 * MIN);
    await pipeline.run();
    expect(pipeline.notifier.sent.filter((m) => m.attributes.rule !== 'catch-up-summary')).toHaveLength(3);
  });
});

describe('time budget and catch-up', () => {
  it('a run that fails after sending alerts says what it sent (its run record counts them against the alert budget)', async () => {
    const calls = incidentTraffic();
    pipeline = await pipelines.start({ calls, start: T0 });
    // The state table fails when the first slice is saved, after its alerts went out.
    const store = Object.create(pipeline.store) as typeof pipeline.store;
    store.saveCursor = async () => {
      throw new Error('DynamoDB throttled (test)');
    };
    const failure = await pipeline.run({ store }).then(
      () => null,
      (error: unknown) => error as { summary?: { alertsPublished: number } },
    );
    expect(failure).not.toBeNull();
    expect(pipeline.notifier.sent.length).toBeGreaterThan(0);
    expect(failure?.summary?.alertsPublished).toBe(pipeline.notifier.sent.length);
  });

  it('stops starting work before the Lambda timeout, saves progress, and the next run finishes', async () => {
    const calls = incidentTraffic();
    pipeline = await pipelines.start({ calls, start: T0 });
    let asked = 0;
    // Plenty of time for the first 40 checks, then inside the 10 s safety margin.
    const remainingTimeMs = () => (++asked <= 40 ? 200_000 : 8_000);

    const first = await pipeline.run({ remainingTimeMs });

    expect(first.insightsDeferredForTime).toBeGreaterThan(50);
    expect(first.cursorAdvanced).toBe(true);
    const pending = await pipeline.store.listPendingInsights();
    expect(pending.length).toBeGreaterThanOrEqual(first.insightsDeferredForTime);
    // Deferred calls did not spend an attempt: they were never asked about.
    expect(pending.filter((p) => p.attempts === 0).length).toBeGreaterThanOrEqual(
      first.insightsDeferredForTime,
    );

    pipeline.clock.advance(5 * MIN);
    await pipeline.run();
    const keys = pipeline.notifier.keys();
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of expectedKeysAt(calls, T0)) expect(keys).toContain(key);
  });

  it('catches up on hours of backlog over several runs, in bounded windows, without flooding', async () => {
    const start = new Date(T0.getTime() - 6 * 60 * MIN);
    const calls = generateTraffic({ seed: 11, from: start, to: T0, callsPerMinute: 1, incidents: 'all' });
    pipeline = await pipelines.start({
      calls: [],
      start,
      config: { poll: { maxWindowMinutes: 120 }, notifications: { alertBudget: { maxAlerts: 2 } } },
    });
    await pipeline.run(); // the poller was working at `start`...
    pipeline.clock.advance(6 * 60 * MIN); // ...then nothing ran for six hours
    pipeline.sandbox.addCalls(calls);

    const runs = [];
    for (let i = 0; i < 4; i += 1) runs.push(await pipeline.run());

    const minutes = runs.map(
      (r) => r.readRange && (Date.parse(r.readRange.to) - Date.parse(r.readRange.from)) / MIN,
    );
    // 120-minute windows (plus the 15-minute overlap) until caught up, then a short one.
    expect(minutes.slice(0, 3)).toEqual([135, 135, 135]);
    expect(minutes[3]).toBeLessThan(20);
    expect(runs[0]?.lagSeconds).toBeGreaterThan(3 * 60 * 60); // reported while behind
    expect(runs[3]?.lagSeconds).toBeLessThan(120);
    // No run paged more than its budget; the rest went out as catch-up summaries.
    for (const r of runs) expect(r.alertsPublished).toBeLessThanOrEqual(2);
    expect(runs.reduce((n, r) => n + r.catchUpSummaries, 0)).toBeGreaterThanOrEqual(1);
    const notified = new Set(
      pipeline.notifier.sent.flatMap((m) =>
        m.attributes.rule === 'catch-up-summary'
          ? (m.json.calls as Array<{ rule: string; callUuid: string }>).map(
              (c) => `zentrunk-alerts:${c.rule}#${c.callUuid}`,
            )
          : [m.dedupKey],
      ),
    );
    const due = expectedKeysAt(calls, T0);
    for (const key of due) expect(notified).toContain(key);
  });
});

describe('silences and quiet periods', () => {
  const ACME = 'acme.zt.plivo.com';
  const keysOf = (calls: SandboxCall[]) => expectedKeysAt(calls, T0);

  it('records the findings of a silenced trunk without sending them, and never sends them later', async () => {
    const calls = incidentTraffic();
    const acmeKeys = keysOf(calls.filter((c) => c.trunkDomain === ACME));
    const otherKeys = keysOf(calls.filter((c) => c.trunkDomain !== ACME));
    expect(acmeKeys.length).toBeGreaterThan(0);
    expect(otherKeys.length).toBeGreaterThan(0);
    pipeline = await pipelines.start({
      calls,
      start: T0,
      config: {
        silences: {
          rules: [
            {
              id: 'acme-migration',
              matchers: { trunkDomains: [ACME] },
              startsAt: new Date(T0.getTime() - 60 * MIN).toISOString(),
              endsAt: new Date(T0.getTime() + 3 * MIN).toISOString(),
            },
          ],
        },
      },
    });

    const first = await pipeline.run();

    expect(first.status).toBe('completed');
    expect(pipeline.notifier.keys().sort()).toEqual(otherKeys);
    expect(first.alertsPublished).toBe(otherKeys.length);
    expect(first.alertsSilenced).toBe(acmeKeys.length);
    expect(Object.values(first.alertsSilencedByRule).reduce((a, b) => a + b, 0)).toBe(acmeKeys.length);
    const silencedLogs = pipeline.logs.filter((l) => l.includes('Alert silenced'));
    expect(silencedLogs).toHaveLength(acmeKeys.length);
    for (const line of silencedLogs) expect(line).toContain('acme-migration');

    // The silence has ended; the overlap re-reads the same calls and still sends none of them.
    pipeline.clock.advance(5 * MIN);
    const second = await pipeline.run();
    expect(second.alertsSilenced).toBe(0);
    for (const key of acmeKeys) expect(pipeline.notifier.keys()).not.toContain(key);
    // They are recorded as notified: a claim on any of them finds it already sent.
    const nowMs = pipeline.clock.now().getTime();
    for (const key of acmeKeys) {
      await expect(
        pipeline.store.claimAlert(key, {
          nowMs,
          inProgressUntilMs: nowMs + MIN,
          expiresAtSec: nowMs / 1000 + 3600,
        }),
      ).resolves.toBe('already-sent');
    }
  });

  it('mutes every matching finding during a quiet period, without using the alert budget', async () => {
    const calls = incidentTraffic();
    const expected = keysOf(calls);
    pipeline = await pipelines.start({
      calls,
      start: T0,
      config: {
        notifications: { alertBudget: { maxAlerts: 3 } },
        silences: {
          quietPeriods: [
            {
              id: 'friday-maintenance',
              matchers: { severity: ['warning'] },
              days: ['fri'],
              // T0 is Friday 07:00 in New York.
              start: '06:00',
              end: '08:00',
              timeZone: 'America/New_York',
            },
          ],
        },
      },
    });

    const summary = await pipeline.run();

    const sent = pipeline.notifier.sent;
    expect(summary.alertsSilenced).toBeGreaterThan(3);
    expect(sent.some((m) => m.attributes.severity === 'warning')).toBe(false);
    expect(summary.alertsPublished).toBeGreaterThan(0);
    // Only what was not muted counts towards the budget and the catch-up summary.
    expect(summary.alertsPublished + summary.findingsSummarized).toBe(
      expected.length - summary.alertsSilenced,
    );
    expect(summary.findings).toBe(expected.length);
  });
});
