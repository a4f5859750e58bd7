import { parseConfig } from '../../../functions/core/config/load-config';
import { evaluateRules } from '../../../functions/core/rules/evaluate-rules';
import { evaluated } from '../../support/calls';

const defaults = parseConfig({});

function ruleIds(subject: ReturnType<typeof evaluated>, config = defaults): string[] {
  return evaluateRules([subject], config).map((f) => f.ruleId);
}

describe('a healthy call', () => {
  it('trips no rule', () => {
    expect(ruleIds(evaluated())).toEqual([]);
  });
});

describe('low-quality-score', () => {
  it('does not fire at exactly 3.0: "below 3" is strict', () => {
    expect(ruleIds(evaluated({}, { qualityScore: 3.0 }))).not.toContain('low-quality-score');
  });
  it('fires just below 3 as a warning, and below 2 as critical', () => {
    const [warning] = evaluateRules([evaluated({}, { qualityScore: 2.99 })], defaults);
    expect(warning).toMatchObject({ ruleId: 'low-quality-score', severity: 'warning' });
    expect(warning?.headline).toBe('quality score 2.99 < 3');
    const [critical] = evaluateRules([evaluated({}, { qualityScore: 1.9 })], defaults);
    expect(critical).toMatchObject({ ruleId: 'low-quality-score', severity: 'critical' });
  });
  it('follows a configured threshold', () => {
    const config = parseConfig({ rules: { 'low-quality-score': { below: 3.5 } } });
    expect(ruleIds(evaluated({}, { qualityScore: 3.4 }), config)).toContain('low-quality-score');
    expect(ruleIds(evaluated({}, { qualityScore: 3.5 }), config)).not.toContain('low-quality-score');
  });
  it('ignores a call without a score', () => {
    expect(ruleIds(evaluated({}, { qualityScore: null }))).toEqual([]);
  });
});

describe('packet-loss', () => {
  it('fires at 0.9 % (Plivo: 0.9 % or more is bad) and not at 0.89 %', () => {
    expect(ruleIds(evaluated({}, { packetLossPct: 0.9 }))).toContain('packet-loss');
    expect(ruleIds(evaluated({}, { packetLossPct: 0.89 }))).not.toContain('packet-loss');
  });
  it('escalates to critical at criticalPct', () => {
    const [f] = evaluateRules([evaluated({}, { packetLossPct: 5 })], defaults);
    expect(f).toMatchObject({ ruleId: 'packet-loss', severity: 'critical' });
    expect(f?.measured).toEqual({ metric: 'packet loss', value: 5, unit: '%' });
    expect(f?.threshold).toEqual({ comparison: '>=', value: 0.9, unit: '%' });
  });
  it('can be disabled', () => {
    const config = parseConfig({ rules: { 'packet-loss': { enabled: false } } });
    expect(ruleIds(evaluated({}, { packetLossPct: 10 }), config)).not.toContain('packet-loss');
  });
});

describe('zentrunk-hangup', () => {
  it('fires when Zentrunk hung up with a fault code, with the code advice first', () => {
    const [f] = evaluateRules(
      [evaluated({ hangupSource: 'zentrunk', hangupCauseCode: 5180, hangupCauseName: 'cps_limit_reached' })],
      defaults,
    );
    expect(f).toMatchObject({ ruleId: 'zentrunk-hangup', severity: 'critical' });
    expect(f?.headline).toBe('hung up by Zentrunk: 5180 cps_limit_reached');
    expect(f?.nextSteps[0]).toMatch(/CPS limit/);
  });
  it('does not fire when the carrier or customer hung up', () => {
    expect(ruleIds(evaluated({ hangupSource: 'carrier', hangupCauseCode: 5290 }))).toEqual([]);
    expect(ruleIds(evaluated({ hangupSource: 'customer', hangupCauseCode: 5290 }))).toEqual([]);
  });
  it('ignores normal outcomes by default and configured codes', () => {
    for (const code of [4410, 4340, 4550, 3000]) {
      expect(ruleIds(evaluated({ hangupSource: 'zentrunk', hangupCauseCode: code }))).toEqual([]);
    }
    const config = parseConfig({ rules: { 'zentrunk-hangup': { ignoreCodes: [5180] } } });
    expect(ruleIds(evaluated({ hangupSource: 'zentrunk', hangupCauseCode: 5180 }), config)).toEqual([]);
    expect(ruleIds(evaluated({ hangupSource: 'zentrunk', hangupCauseCode: 4410 }), config)).toEqual([
      'zentrunk-hangup',
    ]);
  });
  it('fires without insights: a call that never connected may never get any', () => {
    expect(ruleIds(evaluated({ hangupSource: 'zentrunk', hangupCauseCode: 4080 }, null))).toEqual([
      'zentrunk-hangup',
    ]);
  });
});

describe('stir-unverified', () => {
  it('fires on Not Verified and never on Not Applicable or Verified', () => {
    expect(ruleIds(evaluated({ stirVerification: 'not-verified', attestation: 'B' }))).toEqual([
      'stir-unverified',
    ]);
    expect(ruleIds(evaluated({ stirVerification: 'not-applicable', attestation: null }))).toEqual([]);
    expect(ruleIds(evaluated({ stirVerification: 'verified' }))).toEqual([]);
    expect(ruleIds(evaluated({ stirVerification: null }))).toEqual([]);
  });
});

describe('jitter, RTT and post-dial delay', () => {
  it('fire at their boundaries', () => {
    expect(ruleIds(evaluated({}, { jitterMs: 30 }))).toEqual(['high-jitter']);
    expect(ruleIds(evaluated({}, { jitterMs: 29.9 }))).toEqual([]);
    expect(ruleIds(evaluated({}, { rttMs: 300 }))).toEqual([]);
    expect(ruleIds(evaluated({}, { rttMs: 301 }))).toEqual(['high-rtt']);
    expect(ruleIds(evaluated({}, { postDialDelayMs: 5000 }))).toEqual([]);
    expect(ruleIds(evaluated({}, { postDialDelayMs: 5001 }))).toEqual(['high-post-dial-delay']);
  });
});

describe('scope', () => {
  const scoped = parseConfig({
    rules: {
      'packet-loss': {
        scope: { directions: ['outbound'], trunkDomains: ['a.zt.plivo.com'], countries: ['GB'] },
      },
    },
  });
  const bad = { packetLossPct: 3 };
  it('fires only for calls inside every given list', () => {
    expect(ruleIds(evaluated({ trunkDomain: 'a.zt.plivo.com', toCountry: 'GB' }, bad), scoped)).toEqual([
      'packet-loss',
    ]);
    expect(ruleIds(evaluated({ trunkDomain: 'b.zt.plivo.com', toCountry: 'GB' }, bad), scoped)).toEqual([]);
    expect(ruleIds(evaluated({ trunkDomain: 'a.zt.plivo.com', toCountry: 'DE' }, bad), scoped)).toEqual([]);
    expect(
      ruleIds(
        evaluated({ trunkDomain: 'a.zt.plivo.com', toCountry: 'GB', direction: 'inbound' }, bad),
        scoped,
      ),
    ).toEqual([]);
  });
});

describe('per-scope overrides', () => {
  const config = parseConfig(
    {
      rules: {
        'packet-loss': {
          thresholdPct: 0.9,
          overrides: [
            { scope: { trunkDomains: ['noisy.zt.plivo.com'] }, thresholdPct: 3, criticalPct: 8 },
            { scope: { countries: ['IN'] }, enabled: false },
          ],
        },
        'zentrunk-hangup': { overrides: [{ scope: { directions: ['inbound'] }, severity: 'warning' }] },
      },
    },
    'test',
  );
  const lossy = (trunkDomain: string, packetLossPct: number, toCountry = 'US') =>
    evaluateRules([evaluated({ trunkDomain, toCountry }, { packetLossPct })], config).filter(
      (f) => f.ruleId === 'packet-loss',
    );

  it('changes the threshold for calls in its scope only, and says so', () => {
    expect(lossy('noisy.zt.plivo.com', 2.5)).toEqual([]);
    const [noisy] = lossy('noisy.zt.plivo.com', 3);
    expect(noisy).toMatchObject({
      severity: 'warning',
      threshold: { value: 3 },
      override: 'trunk noisy.zt.plivo.com',
    });
    expect(lossy('noisy.zt.plivo.com', 8)[0]?.severity).toBe('critical');
    const [other] = lossy('quiet.zt.plivo.com', 1);
    expect(other).toMatchObject({ threshold: { value: 0.9 }, override: null });
  });

  it('can disable a rule for a scope, and change a severity', () => {
    expect(lossy('quiet.zt.plivo.com', 4, 'IN')).toEqual([]);
    const hangup = (direction: 'inbound' | 'outbound') =>
      evaluateRules(
        [evaluated({ direction, hangupSource: 'zentrunk', hangupCauseCode: 5030 }, null)],
        config,
      )[0]?.severity;
    expect(hangup('inbound')).toBe('warning');
    expect(hangup('outbound')).toBe('critical');
  });

  it('rejects an override without a scope, or one that breaks the rule, naming the path', () => {
    expect(() =>
      parseConfig({ rules: { 'high-rtt': { overrides: [{ scope: {}, thresholdMs: 500 }] } } }, 'test'),
    ).toThrow(/rules\.high-rtt\.overrides\[0\]\.scope: an override needs a scope/);
    expect(() =>
      parseConfig(
        { rules: { 'packet-loss': { overrides: [{ scope: { countries: ['GB'] }, thresholdPct: 6 }] } } },
        'test',
      ),
    ).toThrow(/rules\.packet-loss\.overrides\[0\]\.criticalPct: criticalPct must not be below thresholdPct/);
  });
});
