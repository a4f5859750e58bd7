import { parseConfig } from '../../../functions/core/config/load-config';
import type { WindowedRuleId } from '../../../functions/core/config/schema';
import { observe, windowLabels } from '../../../functions/core/windowed/observe';
import {
  addObservations,
  emptyWindow,
  evaluateWindow,
  stepWindow,
  afterWindowNotice,
} from '../../../functions/core/windowed/window';
import { renderWindowAlert } from '../../../functions/core/windowed/window-message';
import { windowRuleFor } from '../../../functions/core/windowed/window-rule';
import { evaluated } from '../../support/calls';

const config = parseConfig({ windowedRules: { 'post-dial-delay-p95': { minCalls: 5 } } });
const NOW = new Date('2024-01-15T14:40:00Z');

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

  it('fires at or below the threshold for the answer-seizure ratio, after 2 of 3 evaluations', () => {
    let w = addObservations(
      emptyWindow('w', 'answer-seizure-ratio', { to_country: 'GB' }),
      obs(40, 10),
      NOW,
      asr,
    );
    const e = evaluateWindow(w, asr);
    expect(e).toMatchObject({ calls: 40, hits: 10, value: 0.25, breach: true });
    let step = stepWindow(w, e, asr, NOW, 240);
    expect(step.notice).toBeNull();
    step = stepWindow(step.state, e, asr, NOW, 240);
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
