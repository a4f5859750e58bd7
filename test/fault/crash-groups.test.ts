/**
 * Alert groups under process death: the run that first sees an incident is killed at each of
 * its port calls, then the schedule carries on. Whatever the step, the incident is announced
 * once (twice only when the process died after SNS accepted the notice and before it was
 * recorded), every bad call is counted, and the resolution goes out once.
 */
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import { CrashInjector, crashingRun, type PublishCrashMode } from '../support/crash';
import { startPipeline } from '../support/pipeline';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
const TRUNK = 'acme.zt.plivo.com';
const CONFIG = {
  plivo: { maxRequestsPer5s: 300 },
  poll: { firstRunLookbackMinutes: 30 },
  grouping: { enabled: true, resolveAfterMinutes: 20 },
};

function traffic(): { calls: SandboxCall[]; bad: number } {
  const calls = generateTraffic({
    seed: 77,
    from: at(-10),
    to: at(-1),
    callsPerMinute: 4,
    incidents: 'none',
  });
  let bad = 0;
  for (const c of calls) {
    c.insightsReadyAt = c.endTime;
    c.packetLossPct = 0;
    if (c.trunkDomain === TRUNK) {
      c.packetLossPct = 2;
      bad += 1;
    }
  }
  return { calls, bad };
}
const { calls, bad } = traffic();

async function scenario(crashAt: number | null, publishMode: PublishCrashMode) {
  // The in-memory store (same contract as DynamoDB's): the subject is the order of the group
  // lifecycle's writes; test/fault/crash-at-every-step.test.ts crashes over dynalite.
  const pipeline = await startPipeline({ calls, start: T0, config: CONFIG });
  try {
    const injector = new CrashInjector({ crashAt, publishMode });
    await crashingRun(pipeline, injector, { remainingTimeMs: () => 240_000 });
    for (const gap of [6, 10, 30]) {
      pipeline.clock.advance(gap * MIN);
      await pipeline.run();
    }
    const notices = pipeline.notifier.sent.filter((m) => m.json.kind === 'group');
    return { injector, notices };
  } finally {
    await pipeline.close();
  }
}

describe('an alert group when the run is killed at any step', () => {
  it('is announced once, counts every call, and resolves once', async () => {
    const clean = await scenario(null, 'before-accepted');
    const steps = clean.injector.operations;
    expect(clean.notices.map((m) => m.json.notice)).toEqual(['firing', 'resolved']);
    expect(clean.notices.at(-1)?.json.count).toBe(bad);

    const found: string[] = [];
    for (let k = 1; k <= steps.length; k += 1) {
      const operation = steps[k - 1];
      const modes: PublishCrashMode[] =
        operation === 'notifier.publish' ? ['before-accepted', 'after-accepted'] : ['before-accepted'];
      for (const mode of modes) {
        const { notices } = await scenario(k, mode);
        const kinds = notices.map((m) => m.json.notice);
        const firings = kinds.filter((n) => n === 'firing').length;
        // The notice SNS accepted just before the process died may go out once more.
        const mayRepeat =
          operation === 'notifier.publish' ? mode === 'after-accepted' : operation === 'store.completeAlert';
        if (firings !== 1 && !(mayRepeat && firings === 2))
          found.push(`step ${k} ${operation} ${mode}: ${kinds.join(',')}`);
        if (kinds.filter((n) => n === 'resolved').length !== 1)
          found.push(`step ${k} ${operation}: resolved ${kinds}`);
        // A crash between saving the group and completing its calls' claims can count a call twice, never lose one.
        const counted = Number(notices.at(-1)?.json.count ?? 0);
        if (counted < bad || counted > 2 * bad)
          found.push(`step ${k} ${operation}: counted ${counted} of ${bad}`);
      }
    }
    expect(found).toEqual([]);
  }, 120_000);
});
