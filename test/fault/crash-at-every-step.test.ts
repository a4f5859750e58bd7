/**
 * "Never miss, never spam" under process death: the poll run is killed at every single port
 * call it makes (and, for each publish, both before and after SNS accepted the message), then
 * the next scheduled runs must deliver every finding exactly once. The only repeat allowed is
 * the documented one: a message SNS accepted whose dedup record was never marked sent.
 */
import type { PollSummary } from '../../functions/core/poll/poll-use-case';
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import { CrashInjector, crashingRun, notifiedKeysOf, type PublishCrashMode } from '../support/crash';
import { type Dynalite, startDynalite } from '../support/dynalite';
import { expectedKeysAt, type Pipeline, startPipeline } from '../support/pipeline';

const MIN = 60_000;
/** The crashed run. A clean run before it leaves what a steady-state run finds: pending insights, evaluated calls. */
const T0 = new Date('2026-11-20T12:00:00Z');
const PRE_RUN_AT = new Date(T0.getTime() - 28 * MIN);
/** The Lambda's remaining time: the crashed run's lease and claims expire 4 minutes after T0. */
const REMAINING_MS = 240_000;
/** After the crash: the next scheduled run (lease and claims expired), then one past every insights delay. */
const RERUN_GAPS_MS = [6 * MIN, 18 * MIN];

/**
 * Past this many alerts a run folds the rest into one catch-up summary: low enough that the
 * crashed run goes down that path too. The whole request budget, so no run waits on its own
 * rate limiter (Plivo's 300 per 5 s is enforced by the sandbox all the same).
 */
const CONFIG = { notifications: { alertBudget: { maxAlerts: 5 } }, plivo: { maxRequestsPer5s: 300 } };

/**
 * ~38 minutes at 0.3 calls/minute plus every incident once: ~35 calls, 13 findings. Few healthy
 * calls: each one only adds another crash point on the same getInsights path.
 */
function traffic(): SandboxCall[] {
  const out = generateTraffic({
    seed: 2029,
    from: new Date(T0.getTime() - 40 * MIN),
    to: new Date(T0.getTime() - 2 * MIN),
    callsPerMinute: 0.3,
    incidents: 'all',
  });
  // A CDR-rule incident whose insights come late: alerted by the pre-run, still pending then,
  // re-evaluated by the crashed run (its claim answers already-sent).
  const cdrRules = [
    'zentrunk-hangup',
    'zentrunk-hangup-unanswered',
    'stir-not-verified-b',
    'stir-not-verified-c',
  ];
  const early = out.find(
    (c) => cdrRules.includes(c.scenario) && c.endTime.getTime() < PRE_RUN_AT.getTime() - MIN,
  );
  if (!early) throw new Error('no CDR-rule incident before the pre-run: change the seed');
  early.insightsReadyAt = new Date(T0.getTime() - 5 * MIN);
  // A CDR Plivo writes late: the call ended before the pre-run's range closed, its CDR appears
  // after it, so the crashed run finds it in the overlap (Plivo's count there grew) and lists it.
  const late = out.find((c) => c.scenario === 'late-cdr');
  if (!late) throw new Error('no late-cdr incident: change the seed');
  late.endTime = new Date(PRE_RUN_AT.getTime() - 3 * MIN);
  late.cdrReadyAt = new Date(PRE_RUN_AT.getTime() + 3 * MIN);
  late.insightsReadyAt = new Date(PRE_RUN_AT.getTime() + 3 * MIN);
  return out;
}

const calls = traffic();
const finalNow = new Date(T0.getTime() + RERUN_GAPS_MS.reduce((a, b) => a + b, 0));
const expected = expectedKeysAt(calls, finalNow);

let dynamo: Dynalite;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

interface Outcome {
  injector: CrashInjector;
  /** What the crashed (or, without a crash, the reference) run returned or threw. */
  crashedRun: PollSummary | Error;
  delivered: string[];
}

/**
 * A crashed run at T0 (or a clean one when crashAt is null), then the clean reruns. The
 * reference run is on dynalite; the runs killed at each step use the in-memory store, which
 * passes the same contract (state-store-contract.test.ts) and makes the same port calls (checked
 * below): the subject here is the poll run under process death, and it keeps the file quick.
 */
async function scenario(
  crashAt: number | null,
  publishMode: PublishCrashMode,
  store: 'dynalite' | 'memory' = 'memory',
): Promise<Outcome> {
  const pipeline: Pipeline = await startPipeline({
    dynamoEndpoint: store === 'dynalite' ? dynamo.endpoint : undefined,
    calls,
    start: PRE_RUN_AT,
    config: CONFIG,
  });
  try {
    await pipeline.run({ remainingTimeMs: () => REMAINING_MS });
    pipeline.clock.advance(T0.getTime() - pipeline.clock.now().getTime());
    const injector = new CrashInjector({ crashAt, publishMode });
    const crashedRun = await crashingRun(pipeline, injector, { remainingTimeMs: () => REMAINING_MS });
    for (const gap of RERUN_GAPS_MS) {
      pipeline.clock.advance(gap);
      await pipeline.run({ remainingTimeMs: () => REMAINING_MS });
    }
    return { injector, crashedRun, delivered: pipeline.notifier.sent.flatMap(notifiedKeysOf) };
  } finally {
    await pipeline.close();
  }
}

/** Everything wrong with one scenario's deliveries, as readable lines (empty: all good). */
function problems(outcome: Outcome, repeats: string[] = []): string[] {
  const { injector, delivered } = outcome;
  const where = `${injector.describe()}:`;
  const counts = new Map<string, number>();
  for (const key of delivered) counts.set(key, (counts.get(key) ?? 0) + 1);
  const out: string[] = [];
  const lost = expected.filter((key) => !counts.has(key));
  if (lost.length > 0) out.push(`${where} lost ${lost.join(', ')}`);
  const unexpected = [...counts.keys()].filter((key) => !expected.includes(key));
  if (unexpected.length > 0) out.push(`${where} unexpected ${unexpected.join(', ')}`);
  for (const [key, n] of counts) {
    if (n === 1) continue;
    // The one unavoidable repeat: SNS accepted it, the dedup record never said so.
    const documented = n === 2 && injector.acceptedNotCompleted.has(key);
    if (documented) repeats.push(key);
    else out.push(`${where} ${key} delivered ${n} times`);
  }
  // One crash leaves at most one message in doubt (a catch-up summary stands for several keys).
  const inDoubt = injector.messagesInDoubt();
  if (inDoubt.length > 1) out.push(`${where} ${inDoubt.length} messages in doubt, at most one expected`);
  return out;
}

describe('a poll run killed at any step', () => {
  let reference: string[] = [];
  let cleanProblems: string[] = [];
  let referenceRun: PollSummary | Error | undefined;
  let memoryReference: string[] = [];
  let memoryProblems: string[] = [];

  beforeAll(async () => {
    const clean = await scenario(null, 'before-accepted', 'dynalite');
    reference = clean.injector.operations;
    cleanProblems = problems(clean);
    referenceRun = clean.crashedRun;
    const cleanInMemory = await scenario(null, 'before-accepted', 'memory');
    memoryReference = cleanInMemory.injector.operations;
    memoryProblems = problems(cleanInMemory);
  });

  it('makes the same port calls on dynalite and on the in-memory store the crash runs use', () => {
    expect(memoryProblems).toEqual([]);
    expect(memoryReference).toEqual(reference);
  });

  it('delivers every finding exactly once without a crash (the reference run)', () => {
    expect(cleanProblems).toEqual([]);
    expect(expected.length).toBeGreaterThanOrEqual(12);
    expect(reference[0]).toBe('store.acquireLease');
    // A steady-state run: it retries pending insights and resolves them.
    expect(reference).toContain('store.deletePendingInsights');
    expect(referenceRun).toMatchObject({ status: 'completed', catchUpSummaries: 1 });
    const run = referenceRun as PollSummary;
    expect(run.pendingRetried).toBeGreaterThan(0);
    // The late CDR was found in the overlap, listed with calls judged before (skipped).
    expect(run.lateCalls).toBe(1);
    expect(run.callsAlreadyEvaluated).toBeGreaterThan(0);
    expect(run.duplicatesSuppressed).toBeGreaterThan(0);
    expect(reference.at(-1)).toBe('store.releaseLease');
    // The crashed run alerts one by one up to its budget, then claims the rest for a summary.
    const count = (op: string) => reference.filter((o) => o === op).length;
    expect(count('notifier.publish')).toBe(CONFIG.notifications.alertBudget.maxAlerts + 1);
    expect(count('store.claimAlert')).toBeGreaterThan(count('notifier.publish'));
  });

  it('loses nothing and repeats nothing, wherever the process dies', async () => {
    const found: string[] = [];
    const seen: string[] = [];
    let scenariosWithRepeat = 0;
    const modes: PublishCrashMode[] = ['before-accepted', 'after-accepted'];
    for (let k = 1; k <= reference.length; k += 1) {
      const operation = reference[k - 1];
      for (const mode of operation === 'notifier.publish' ? modes : modes.slice(0, 1)) {
        const outcome = await scenario(k, mode);
        // The crash happened where the reference said this step would be.
        if (outcome.injector.crash?.operation !== operation) {
          found.push(`step ${k}: expected a crash at ${operation}, got ${outcome.injector.describe()}`);
        }
        const repeats: string[] = [];
        found.push(...problems(outcome, repeats));
        if (repeats.length > 0) scenariosWithRepeat += 1;
        seen.push(`${k}:${mode}`);
      }
    }
    expect(found).toEqual([]);
    // Every step was tried, publishes twice.
    const publishes = reference.filter((op) => op === 'notifier.publish').length;
    expect(seen).toHaveLength(reference.length + publishes);
    // The documented repeat did happen for every crash inside its window (after SNS accepted,
    // or at the completeAlert of the message itself), which shows the checks above can see a
    // repeat at all. A crash while the catch-up summary's covered findings are being completed
    // repeats nothing: its outbox entry tells the next run the summary went out.
    const completes = reference.filter((op) => op === 'store.completeAlert').length;
    const summaryPublish = reference.indexOf('notifier.publish', reference.indexOf('store.putOutbox'));
    const outboxDropped = reference.indexOf('store.deleteOutbox', summaryPublish);
    const coverCompletes =
      reference.slice(summaryPublish, outboxDropped).filter((op) => op === 'store.completeAlert').length - 1;
    expect(coverCompletes).toBeGreaterThan(0);
    expect(scenariosWithRepeat).toBe(publishes + completes - coverCompletes);
  }, 120_000);
});
