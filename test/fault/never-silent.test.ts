/**
 * Never silent: a notice the channel refuses, for a while or for good, ends in a failed run or
 * a dead letter, never in a green run that sent nothing; a run dying after a catch-up summary
 * went out repeats at most that summary. Through the sandbox and dynalite.
 */
import { PollIncompleteError } from '../../functions/core/poll/poll-use-case';
import type { AlertMessage, Notifier, StateStore } from '../../functions/core/ports';
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import { notifiedKeysOf } from '../support/crash';
import { type Pipeline, pipelinesForEachTest } from '../support/pipeline';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
const TRUNK = 'acme.zt.plivo.com';

const pipelines = pipelinesForEachTest();

/** 30 minutes of traffic; every call on one trunk loses 2 % of its packets. */
function lossyTrunk(): SandboxCall[] {
  const calls = generateTraffic({
    seed: 31,
    from: at(-30),
    to: at(-1),
    callsPerMinute: 3,
    incidents: 'none',
  });
  for (const c of calls) {
    c.insightsReadyAt = c.endTime;
    c.packetLossPct = c.trunkDomain === TRUNK ? 2 : 0;
  }
  return calls;
}

/** Every alerting incident once, over the last 40 minutes, insights ready at hangup. */
function incidents(): SandboxCall[] {
  const calls = generateTraffic({ seed: 32, from: at(-40), to: at(-1), callsPerMinute: 1, incidents: 'all' });
  for (const c of calls) if (c.insightsReadyAt) c.insightsReadyAt = c.endTime;
  return calls;
}

const BASE = {
  plivo: { maxRequestsPer5s: 300, insightsConcurrency: 8 },
  poll: { firstRunLookbackMinutes: 45 },
};

async function runExpectingFailure(p: Pipeline): Promise<PollIncompleteError> {
  const error = await p.run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PollIncompleteError);
  return error as PollIncompleteError;
}

describe("one call's Insights refused for good", () => {
  it('belongs to that call: its CDR alert goes out at once, the rest of the run is unaffected, then it is judged on its CDR', async () => {
    const calls = incidents();
    const refused = calls.find((c) => c.scenario === 'zentrunk-hangup') as SandboxCall;
    const p = await pipelines.start({
      calls,
      start: T0,
      config: { ...BASE, poll: { ...BASE.poll, insightsWaitMinutes: 10 } },
      faults: { insightsStatusByCall: { [refused.callUuid]: 400 } },
    });
    const first = await p.run();
    expect(first.status).toBe('completed');
    expect(first.cursorAdvanced).toBe(true);
    expect(first.insightsRefused).toBe(1);
    expect(first.insightsFetched).toBeGreaterThan(10);
    expect(p.notifier.keys()).toContain(`zentrunk-alerts:zentrunk-hangup#${refused.callUuid}`);
    expect(
      p.logs.some((l) => l.includes("Plivo refused this call's Insights") && l.includes('HTTP 400')),
    ).toBe(true);

    p.clock.advance(5 * MIN);
    const second = await p.run();
    expect(second.insightsRefused).toBe(1);
    expect(second.insightsGaveUp).toBeGreaterThanOrEqual(1);
    expect((await p.store.listPendingInsights()).map((i) => i.call.callUuid)).not.toContain(refused.callUuid);
    p.clock.advance(5 * MIN);
    expect((await p.run()).insightsRefused).toBe(0);
    // Every other finding went out exactly once.
    const keys = p.notifier.keys();
    expect(new Set(keys).size).toBe(keys.length);
    const expected = calls.flatMap((c) => c.expectedAlerts.map((r) => `zentrunk-alerts:${r}#${c.callUuid}`));
    expect([...keys].sort()).toEqual(expected.sort());
  });
});

describe('a group notice the channel does not take', () => {
  it('fails the run (no green run with nothing sent), then goes out once when SNS is back', async () => {
    const p = await pipelines.start({
      calls: lossyTrunk(),
      start: T0,
      config: { ...BASE, grouping: { enabled: true, groupBy: ['trunk_domain'] } },
    });
    p.notifier.failAll = true;
    const error = await runExpectingFailure(p);
    expect(error.summary.publishFailures).toBeGreaterThanOrEqual(1);
    expect(error.summary.findingsGrouped).toBeGreaterThan(0);
    expect(error.message).toMatch(/notice\(s\) could not be published: zentrunk-alerts:group:/);
    expect(error.message).toMatch(/stay owed/);
    expect(p.notifier.sent).toHaveLength(0);

    p.notifier.failAll = false;
    p.clock.advance(5 * MIN);
    const next = await p.run();
    expect(next.status).toBe('completed');
    const firing = p.notifier.sent.filter(
      (m) => m.json.notice === 'firing' && m.attributes.rule === 'packet-loss',
    );
    expect(firing).toHaveLength(1);

    p.clock.advance(5 * MIN);
    await p.run();
    expect(p.notifier.sent.filter((m) => m.json.notice === 'firing')).toHaveLength(1);
  });
});

describe('an alert SNS refuses for good', () => {
  it('fails the runs it is retried in, then is set aside as a dead letter and the runs are healthy again', async () => {
    const calls = incidents();
    const p = await pipelines.start({
      calls,
      start: T0,
      config: { ...BASE, notifications: { deadLetterAfterRejections: 3 } },
    });
    const poisoned = (m: AlertMessage) => m.attributes.rule === 'high-rtt';
    p.notifier.rejectWhen = poisoned;

    const first = await runExpectingFailure(p);
    // Every other alert went out in the very first run.
    expect(first.summary.alertsPublished).toBeGreaterThan(5);
    expect(first.message).toMatch(/refused 1 of 3 time\(s\)/);
    expect(first.message).not.toMatch(/cursor was not advanced/);
    p.clock.advance(5 * MIN);
    const second = await runExpectingFailure(p);
    expect(second.message).toMatch(/refused 2 of 3 time\(s\)/);

    p.clock.advance(5 * MIN);
    const third = await p.run();
    expect(third.status).toBe('completed');
    expect(third.alertsDeadLettered).toBe(1);
    expect(third.deadLetters[0]?.reason).toMatch(/InvalidParameter/);
    const letters = await p.store.listDeadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ rejections: 3, reported: false });
    expect(letters[0]?.key).toMatch(/^zentrunk-alerts:high-rtt#/);

    // Set aside for good: later runs neither retry it nor fail.
    p.notifier.rejectWhen = null;
    p.clock.advance(5 * MIN);
    const fourth = await p.run();
    expect(fourth.status).toBe('completed');
    expect(p.notifier.sent.filter(poisoned)).toHaveLength(0);
    // Nothing else was lost or repeated.
    const keys = p.notifier.keys();
    expect(new Set(keys).size).toBe(keys.length);
    const expected = calls
      .flatMap((c) => c.expectedAlerts.map((r) => `zentrunk-alerts:${r}#${c.callUuid}`))
      .filter((k) => !k.startsWith('zentrunk-alerts:high-rtt#'));
    expect([...keys].sort()).toEqual(expected.sort());
  });

  it('keeps retrying (and failing visibly) an alert whose publish fails for a reason that can pass', async () => {
    const p = await pipelines.start({ calls: incidents(), start: T0, config: BASE });
    p.notifier.failAll = true;
    for (let run = 0; run < 5; run += 1) {
      await runExpectingFailure(p);
      p.clock.advance(5 * MIN);
    }
    expect(await p.store.listDeadLetters()).toHaveLength(0);
    p.notifier.failAll = false;
    expect((await p.run()).status).toBe('completed');
    expect(p.notifier.sent.length).toBeGreaterThan(5);
  });
});

/** A store and notifier that die (every call throws) once a catch-up summary was accepted. */
function dyingAfterSummary(store: StateStore, notifier: Notifier, delivered: AlertMessage[]) {
  let dead = false;
  const guard = <T>(call: () => Promise<T>): Promise<T> =>
    dead ? Promise.reject(new Error('process died')) : call();
  const deadStore = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        guard(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
  const deadNotifier: Notifier = {
    publish: (message) =>
      guard(async () => {
        const result = await notifier.publish(message);
        delivered.push(message);
        if (message.json.kind === 'catch-up-summary') dead = true;
        if (dead) throw new Error('process died after SNS accepted the summary');
        return result;
      }),
  };
  return { store: deadStore, notifier: deadNotifier };
}

describe('a run that dies after its catch-up summary went out', () => {
  it('repeats at most that one summary, never the single alerts it stood for', async () => {
    const p = await pipelines.start({
      calls: incidents(),
      start: T0,
      config: { ...BASE, notifications: { alertBudget: { maxAlerts: 2 } } },
    });
    const delivered: AlertMessage[] = [];
    const dying = dyingAfterSummary(p.store, p.notifier, delivered);
    await expect(p.run(dying)).rejects.toThrow(/died/);
    const summary = delivered.find((m) => m.json.kind === 'catch-up-summary');
    expect(summary).toBeDefined();
    const singlesBefore = delivered.filter((m) => m.json.kind !== 'catch-up-summary').length;
    expect(singlesBefore).toBe(2);

    // The next run, past the dead run's deadline.
    p.clock.advance(5 * MIN);
    const next = await p.run();
    expect(next.status).toBe('completed');
    const after = p.notifier.sent.slice(singlesBefore + 1);
    // The same summary once more, and not one single alert for a finding it covered.
    expect(after.filter((m) => m.dedupKey === summary?.dedupKey)).toHaveLength(1);
    expect(after.filter((m) => m.json.kind !== 'catch-up-summary')).toHaveLength(0);
    expect(await p.store.listOutbox()).toHaveLength(0);

    p.clock.advance(5 * MIN);
    const third = await p.run();
    expect(third.alertsPublished + third.catchUpSummaries).toBe(0);
  });

  it('still repeats only that summary when SNS also fails once while it is being re-sent', async () => {
    const p = await pipelines.start({
      calls: incidents(),
      start: T0,
      config: { ...BASE, notifications: { alertBudget: { maxAlerts: 2 } } },
    });
    const delivered: AlertMessage[] = [];
    await expect(p.run(dyingAfterSummary(p.store, p.notifier, delivered))).rejects.toThrow(/died/);
    const summary = delivered.find((m) => m.json.kind === 'catch-up-summary') as AlertMessage;
    const covered = new Set(notifiedKeysOf(summary));
    expect(covered.size).toBeGreaterThan(2);

    // The re-send fails (SNS may or may not have taken it): the summary stays in the outbox and
    // keeps its findings; none of them goes out one by one, and the run fails visibly.
    p.clock.advance(5 * MIN);
    p.notifier.failNext = 1;
    await runExpectingFailure(p);
    expect(await p.store.listOutbox()).toHaveLength(1);
    p.clock.advance(5 * MIN);
    expect((await p.run()).status).toBe('completed');
    p.clock.advance(5 * MIN);
    await p.run();

    const after = p.notifier.sent.slice(3);
    expect(after.filter((m) => m.dedupKey === summary.dedupKey)).toHaveLength(1);
    expect(
      after
        .flatMap(notifiedKeysOf)
        .filter((k) => covered.has(k) && !k.startsWith('zentrunk-alerts:catch-up')),
    ).toEqual(after.filter((m) => m.dedupKey === summary.dedupKey).flatMap(notifiedKeysOf));
    expect(
      after
        .filter((m) => m.json.kind !== 'catch-up-summary')
        .map((m) => m.dedupKey)
        .filter((k) => covered.has(k)),
    ).toEqual([]);
    expect(await p.store.listOutbox()).toHaveLength(0);
  });
});
