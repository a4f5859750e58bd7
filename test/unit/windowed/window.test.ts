import fc from 'fast-check';
import { parseConfig } from '../../../functions/core/config/load-config';
import type { WindowedRuleId } from '../../../functions/core/config/schema';
import { observe, windowLabels } from '../../../functions/core/windowed/observe';
import {
  addObservations,
  emptyWindow,
  evaluateWindow,
  stepWindow,
  afterWindowNotice,
  type WindowEvaluation,
  type WindowState,
} from '../../../functions/core/windowed/window';
import { renderWindowAlert } from '../../../functions/core/windowed/window-message';
import { windowRuleFor } from '../../../functions/core/windowed/window-rule';
import { evaluated } from '../../support/calls';

// Flap control 10 of the last 15 minutes (the default is 2 of 3): two runs of three at 5 minutes.
const TEN_OF_FIFTEEN = { breachMinutes: 10, withinMinutes: 15 };
const config = parseConfig({
  windowedRules: { 'post-dial-delay-p95': { minCalls: 5 }, 'answer-seizure-ratio': { for: TEN_OF_FIFTEEN } },
});
const NOW = new Date('2024-01-15T14:40:00Z');
const MIN = 60_000;

describe('what each windowed rule reads from a call', () => {
  const seen = (id: WindowedRuleId, callOverrides = {}, insights: Record<string, unknown> | null = {}) =>
    observe(id, evaluated(callOverrides, insights), config);

  it('answered or not for the answer-seizure ratio; only verifiable calls for STIR', () => {
    expect(seen('answer-seizure-ratio')?.hit).toBe(true);
    expect(seen('answer-seizure-ratio', { answerTime: null })?.hit).toBe(false);
    expect(seen('stir-unverified-share', { stirVerification: 'not-applicable' })).toBeNull();
    expect(seen('stir-unverified-share', { stirVerification: 'not-verified' })?.hit).toBe(true);
  });

  it('Zentrunk hangups except the ignored codes; insight metrics only with insights', () => {
    expect(seen('zentrunk-hangup-share', { hangupSource: 'zentrunk', hangupCauseCode: 5030 })?.hit).toBe(
      true,
    );
    expect(seen('zentrunk-hangup-share', { hangupSource: 'zentrunk', hangupCauseCode: 3010 })?.hit).toBe(
      false,
    );
    expect(seen('packet-loss-spike', {}, null)).toBeNull();
    expect(seen('packet-loss-spike', {}, { packetLossPct: 1 })).toMatchObject({ value: 1, hit: true });
    expect(seen('post-dial-delay-p95', {}, { postDialDelayMs: 7000 })?.value).toBe(7000);
  });

  it('groups by caller-ID prefix when asked', () => {
    expect(windowLabels(evaluated({ fromNumber: '+12025551234' }), ['from_prefix', 'trunk_domain'])).toEqual({
      from_prefix: '+1202',
      trunk_domain: '93667062664669661.zt.plivo.com',
    });
  });
});

describe('a windowed rule over its window', () => {
  const asr = config.windowedRules['answer-seizure-ratio'];
  const obs = (n: number, answered: number) =>
    Array.from({ length: n }, (_, i) => ({
      atMs: NOW.getTime() - i * 10_000,
      value: null,
      hit: i < answered,
    }));

  it('fires at or below the threshold for the answer-seizure ratio, after 10 minutes of breaching', () => {
    let w = addObservations(
      emptyWindow('w', 'answer-seizure-ratio', { to_country: 'GB' }),
      obs(40, 10),
      NOW,
      asr,
    );
    const e = evaluateWindow(w, asr);
    expect(e).toMatchObject({ calls: 40, hits: 10, value: 0.25, breach: true });
    const at = (ms: number) => ({ now: new Date(ms), intervalMs: 5 * MIN, repeatIntervalMinutes: 240 });
    let step = stepWindow(w, e, asr, at(NOW.getTime() - 5 * MIN));
    expect(step.notice).toBeNull();
    step = stepWindow(step.state, e, asr, at(NOW.getTime()));
    expect(step.notice).toBe('firing');
    w = afterWindowNotice(step.state, NOW);
    const message = renderWindowAlert(
      w,
      'firing',
      e,
      windowRuleFor(config, 'answer-seizure-ratio', w.labels),
      config,
      {
        now: NOW,
      },
    );
    expect(message.subject).toBe(
      '[zentrunk WARNING] answer-seizure-ratio: 25.0 % of calls <= 40.0 % of calls | GB',
    );
    expect(message.attributes).toMatchObject({
      rule: 'answer-seizure-ratio',
      to_country: 'GB',
      state: 'firing',
    });
  });

  it('drops calls that slid out of the window and takes the p95', () => {
    const pdd = config.windowedRules['post-dial-delay-p95'];
    const old = [{ atMs: NOW.getTime() - 30 * 60_000, value: 99_000, hit: false }];
    const recent = Array.from({ length: 20 }, (_, i) => ({
      atMs: NOW.getTime() - i * 1000,
      value: 1000 * (i + 1),
      hit: false,
    }));
    const w = addObservations(emptyWindow('p', 'post-dial-delay-p95', {}), [...old, ...recent], NOW, pdd);
    expect(evaluateWindow(w, pdd)).toMatchObject({ calls: 20, value: 19_000, breach: true });
  });
});

describe('windowed-rule overrides', () => {
  const overridden = parseConfig({
    windowedRules: {
      'answer-seizure-ratio': {
        enabled: true,
        overrides: [
          { scope: { countries: ['IN'] }, threshold: 0.25 },
          { scope: { countries: ['NG'] }, enabled: false },
          { scope: { trunkDomains: ['acme.zt.plivo.com'] }, threshold: 0.1 },
        ],
      },
    },
  });

  it('match on the group labels, first match wins, and may switch a group off', () => {
    expect(windowRuleFor(overridden, 'answer-seizure-ratio', { to_country: 'IN' })).toMatchObject({
      threshold: 0.25,
      enabled: true,
      override: { countries: ['IN'] },
    });
    expect(windowRuleFor(overridden, 'answer-seizure-ratio', { to_country: 'NG' }).enabled).toBe(false);
    expect(windowRuleFor(overridden, 'answer-seizure-ratio', { to_country: 'GB' })).toMatchObject({
      threshold: 0.4,
      override: null,
    });
    // The rule groups by country: a trunk-scoped override can never match its groups.
    expect(windowRuleFor(overridden, 'answer-seizure-ratio', { to_country: 'US' }).override).toBeNull();
  });
});

describe('flap control counted in minutes, not runs', () => {
  const T0 = Date.parse('2026-11-20T12:00:00Z');
  const spikeRule = (f: { breachMinutes: number; withinMinutes: number } | 'default' = TEN_OF_FIFTEEN) =>
    windowRuleFor(
      parseConfig({
        windowedRules: { 'packet-loss-spike': { enabled: true, ...(f === 'default' ? {} : { for: f }) } },
      }),
      'packet-loss-spike',
      { trunk_domain: 'acme.zt.plivo.com' },
    );
  /** A 15-minute window of 40 calls, 30 % or none of them lossy: well past 20 % or under 10 %. */
  const evaluationOf = (bad: boolean): WindowEvaluation => ({
    calls: 40,
    hits: bad ? 12 : 0,
    value: bad ? 0.3 : 0,
    threshold: 0.2,
    breach: bad,
  });

  /**
   * Runs one evaluation every `intervalMinutes` from T0 through `minutes`, each judging a window
   * that is bad when `bad(minute)` says the minute it ends in is: the minutes since T0 of each
   * firing notice. `lateMs` shifts each run (a run starting or ending a little late or early).
   */
  function firings(
    rule: ReturnType<typeof spikeRule>,
    intervalMinutes: number,
    bad: (minute: number) => boolean,
    minutes: number,
    lateMs: (run: number) => number = () => 0,
    start = emptyWindow('w', 'packet-loss-spike', { trunk_domain: 'acme.zt.plivo.com' }),
  ): number[] {
    let state = start;
    const fired: number[] = [];
    for (let run = 1; run * intervalMinutes <= minutes; run += 1) {
      const minute = run * intervalMinutes;
      const now = new Date(T0 + minute * MIN + lateMs(run));
      const step = stepWindow(state, evaluationOf(bad(minute)), rule, {
        now,
        intervalMs: intervalMinutes * MIN,
        repeatIntervalMinutes: 240,
      });
      state = step.notice ? afterWindowNotice(step.state, now) : step.state;
      if (step.notice === 'firing') fired.push(minute);
    }
    return fired;
  }

  /** A wall-clock story in 5-minute stretches ('B' bad, '.' fine): is the minute ending at `m` bad? */
  const stretches = (story: string) => (minute: number) => story[Math.ceil(minute / 5) - 1] === 'B';

  it.each([
    ['bad from 12:00 on', 'BBBBBB', 10],
    ['bad, fine, bad: 10 of the last 15 minutes', 'B.B...', 15],
    ['bad, fine, fine, bad: never 10 of 15', 'B..B..', null],
    ['fine for 20 minutes, then bad', '....BBBB', 30],
  ])('%s: fires at the same moment at a 1-minute and a 5-minute schedule', (_story, story, expected) => {
    const rule = spikeRule(); // 10 of the last 15 minutes
    const bad = stretches(story);
    const minutes = story.length * 5;
    const everyMinute = firings(rule, 1, bad, minutes);
    const everyFive = firings(rule, 5, bad, minutes);
    expect(everyMinute[0] ?? null).toBe(expected);
    expect(everyFive[0] ?? null).toBe(expected);
  });

  it('holds an incident while its window has too few calls to judge; resolves once the window is empty', () => {
    const rule = spikeRule('default');
    const at = (minute: number) => ({
      now: new Date(T0 + minute * MIN),
      intervalMs: MIN,
      repeatIntervalMinutes: 240,
    });
    let state = emptyWindow('w', 'packet-loss-spike', { trunk_domain: 'acme.zt.plivo.com' });
    state = stepWindow(state, evaluationOf(true), rule, at(1)).state;
    let step = stepWindow(state, evaluationOf(true), rule, at(2));
    expect(step.notice).toBe('firing');
    state = { ...step.state, notices: 1 };
    // A quiet minute: 6 calls left in the window, under minCalls: no verdict, no resolution.
    const tooFew: WindowEvaluation = { calls: 6, hits: 3, value: null, threshold: 0.2, breach: false };
    step = stepWindow(state, tooFew, rule, at(3));
    expect(step.notice).toBeNull();
    expect(step.state.firing).toBe(true);
    // Calls come back, still lossy: no second firing.
    step = stepWindow(step.state, evaluationOf(true), rule, at(4));
    expect(step.notice).toBeNull();
    expect(step.state.firing).toBe(true);
    // The trunk's calls stop: once its window is empty the incident resolves.
    const empty: WindowEvaluation = { calls: 0, hits: 0, value: null, threshold: 0.2, breach: false };
    step = stepWindow(step.state, empty, rule, at(20));
    expect(step.notice).toBe('resolved');
  });

  it('by default (2 of the last 3 minutes) fires on the second breaching run at 1 minute, the first at 5', () => {
    const rule = spikeRule('default');
    expect(rule.for).toEqual({ breachMinutes: 2, withinMinutes: 3 });
    const bad = stretches('BBBBBB');
    // Bad from 12:00: the 12:01 run breaches (1 minute), the 12:02 run makes it 2.
    expect(firings(rule, 1, bad, 30)[0]).toBe(2);
    // One 5-minute run counts its 5 minutes.
    expect(firings(rule, 5, bad, 30)[0]).toBe(5);
    // A blip of one bad minute never pages at 1 minute.
    expect(firings(rule, 1, (minute) => minute === 7, 30)).toEqual([]);
  });

  it('any story in 5-minute stretches first fires at the same moment at either schedule', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 5 }),
        (story, breachRuns, extraRuns) => {
          const rule = spikeRule({
            breachMinutes: 5 * breachRuns,
            withinMinutes: 5 * (breachRuns + extraRuns),
          });
          const bad = (minute: number) => story[Math.ceil(minute / 5) - 1] === true;
          const minutes = story.length * 5;
          expect(firings(rule, 1, bad, minutes)[0]).toBe(firings(rule, 5, bad, minutes)[0]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('at a 5-minute schedule, 10 of 15 minutes is the old "2 of the last 3 evaluations"', () => {
    // The previous flap control, counted in runs, as a reference.
    const mOfN = (m: number, n: number, breaches: boolean[]) =>
      breaches.findIndex((_, i) => breaches.slice(Math.max(0, i - n + 1), i + 1).filter(Boolean).length >= m);
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        (breaches, m, extra) => {
          const rule = spikeRule({ breachMinutes: 5 * m, withinMinutes: 5 * (m + extra) });
          const fired = firings(rule, 5, (minute) => breaches[minute / 5 - 1] === true, breaches.length * 5);
          const old = mOfN(m, m + extra, breaches);
          expect(fired[0] ?? null).toBe(old === -1 ? null : (old + 1) * 5);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a run a little early or late neither adds nor loses an interval', () => {
    const rule = spikeRule();
    const bad = stretches('BBBBBB');
    // Runs ending up to 40 s early or late at random: still the second bad run at 5 minutes...
    const jitter = (run: number) => ((run * 7919) % 81) * 1000 - 40_000;
    expect(firings(rule, 5, bad, 30, jitter)[0]).toBe(10);
    // ...and the tenth at 1 minute, with 20 s either way (a third of the interval).
    expect(firings(rule, 1, bad, 30, (run) => (((run * 7919) % 41) - 20) * 1000)[0]).toBe(10);
    // A bad run whose predecessor fell out of the window by a few seconds counts no more.
    expect(firings(rule, 5, stretches('B.B...'), 30, (run) => (run === 1 ? -3000 : 0))[0]).toBe(15);
    expect(firings(rule, 5, stretches('B..B..'), 30, (run) => (run === 1 ? 3000 : 0))).toEqual([]);
  });

  it('keeps what it counted across a schedule change', () => {
    const rule = spikeRule();
    // Bad from 12:00: one 5-minute run at 12:05, then 1-minute runs: 10 minutes at 12:10.
    const first = stepWindow(emptyWindow('w', 'packet-loss-spike', {}), evaluationOf(true), rule, {
      now: new Date(T0 + 5 * MIN),
      intervalMs: 5 * MIN,
      repeatIntervalMinutes: 240,
    });
    expect(first.state.breaches).toEqual([{ atMs: T0 + 5 * MIN, spanMs: 5 * MIN }]);
    let state = first.state;
    const fired: number[] = [];
    for (let minute = 6; minute <= 12; minute += 1) {
      const step = stepWindow(state, evaluationOf(true), rule, {
        now: new Date(T0 + minute * MIN),
        intervalMs: MIN,
        repeatIntervalMinutes: 240,
      });
      state = step.notice ? afterWindowNotice(step.state, new Date(T0 + minute * MIN)) : step.state;
      if (step.notice === 'firing') fired.push(minute);
    }
    expect(fired).toEqual([10]);
  });

  it('reads a window state written before evaluations were timed (history of booleans)', () => {
    const rule = spikeRule();
    const old = (history: boolean[]) => {
      // As the previous code saved it: `history`, no `breaches`.
      const { breaches: _none, ...state } = emptyWindow('w', 'packet-loss-spike', {});
      return { ...state, history } as unknown as WindowState;
    };
    const at = { now: new Date(T0), intervalMs: 5 * MIN, repeatIntervalMinutes: 240 };
    // Its evaluations are the runs before this one: 2 of the last 3 still fires...
    const fires = stepWindow(old([false, true]), evaluationOf(true), rule, at);
    expect(fires.notice).toBe('firing');
    // ...and is saved timed, without the old field.
    expect(fires.state.breaches).toEqual([
      { atMs: T0 - 5 * MIN, spanMs: 5 * MIN },
      { atMs: T0, spanMs: 5 * MIN },
    ]);
    expect(fires.state).not.toHaveProperty('history');
    // A breach three runs back has left the last 15 minutes, as it had left the last 3 runs.
    expect(stepWindow(old([true, false, false]), evaluationOf(true), rule, at).notice).toBeNull();
    // Nothing to fire on in an empty window, whatever the old history says.
    expect(stepWindow(old([true, true, true]), evaluationOf(false), rule, at).notice).toBeNull();
  });

  it('learns the baseline with the same half-life at any schedule', () => {
    const rule = windowRuleFor(
      parseConfig({
        windowedRules: { 'packet-loss-spike': { baseline: { enabled: true, halfLifeMinutes: 15 } } },
      }),
      'packet-loss-spike',
      {},
    );
    const learnt = (intervalMinutes: number) => {
      let state: WindowState = { ...emptyWindow('w', 'packet-loss-spike', {}), baseline: 1 };
      for (let minute = intervalMinutes; minute <= 15; minute += intervalMinutes) {
        const quiet = { ...evaluationOf(false), value: 2 };
        state = stepWindow(state, quiet, rule, {
          now: new Date(T0 + minute * MIN),
          intervalMs: intervalMinutes * MIN,
          repeatIntervalMinutes: 240,
        }).state;
      }
      return state.baseline;
    };
    // Half of what it knew (1) has given way to what it sees (2) after 15 minutes, either way.
    expect(learnt(1)).toBeCloseTo(1.5, 10);
    expect(learnt(5)).toBeCloseTo(1.5, 10);
  });
});
