/** The CLI's small parsers, and explain's verdicts for every way a rule can stay quiet. */
import { parseDuration, parseInstant } from '../../../cli/args';
import { parseMatchers, describeMatchers } from '../../../cli/commands/silence';
import { histogramOf, METRICS, renderHistogram } from '../../../cli/backtest/histogram';
import { colorsFor, table } from '../../../cli/io';
import { parseConfig } from '../../../functions/core/config/load-config';
import { explainRules } from '../../../functions/core/rules/explain-rules';
import { evaluated, makeInsights } from '../../support/calls';

const NOW = new Date('2026-11-23T12:00:00Z');

describe('durations and instants', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text, '--for')).toBe(ms);
  });

  it.each(['', 'soon', '2 hours', '0m', '1h and 5m'])('refuses "%s", naming the option', (text) => {
    expect(() => parseDuration(text, '--for')).toThrow(/^--for must be/);
  });

  it('reads now, a time ago, ISO times with or without an offset, and a date alone as UTC', () => {
    expect(parseInstant('now', '--to', NOW)).toEqual(NOW);
    expect(parseInstant('2h', '--from', NOW)).toEqual(new Date('2026-11-23T10:00:00Z'));
    expect(parseInstant('7d', '--from', NOW)).toEqual(new Date('2026-11-16T12:00:00Z'));
    expect(parseInstant('2026-11-20T22:00Z', '--from', NOW)).toEqual(new Date('2026-11-20T22:00:00Z'));
    expect(parseInstant('2026-11-20 22:00', '--from', NOW)).toEqual(new Date('2026-11-20T22:00:00Z'));
    expect(parseInstant('2026-11-20T22:00:00+01:00', '--from', NOW)).toEqual(
      new Date('2026-11-20T21:00:00Z'),
    );
    expect(parseInstant('2026-11-20', '--from', NOW)).toEqual(new Date('2026-11-20T00:00:00Z'));
    expect(() => parseInstant('yesterday', '--from', NOW)).toThrow(/--from must be "now"/);
  });
});

describe('silence matchers', () => {
  it('read name=value, several values per name, and repeat names', () => {
    const matchers = parseMatchers([
      'trunk=acme.zt.plivo.com',
      'severity=warning,info',
      'country=DE',
      'country=GB',
      'rule=packet-loss',
      'direction=inbound',
    ]);
    expect(matchers).toEqual({
      trunkDomains: ['acme.zt.plivo.com'],
      severity: ['warning', 'info'],
      countries: ['DE', 'GB'],
      rule: ['packet-loss'],
      directions: ['inbound'],
    });
    expect(describeMatchers(matchers)).toBe(
      'rule=packet-loss severity=warning,info trunk=acme.zt.plivo.com country=DE,GB direction=inbound',
    );
  });
});

describe('tables', () => {
  it('align columns on what a terminal shows, colour codes aside', () => {
    const colors = colorsFor(true, {});
    const lines = table(
      ['RULE', 'SENT'],
      [
        [colors.red('packet-loss'), '3'],
        ['high-rtt', '12'],
      ],
      ['left', 'right'],
    );
    // eslint-disable-next-line no-control-regex
    const plain = lines.map((line) => line.replace(/\u001b\[\d+m/g, ''));
    expect(plain).toEqual(['RULE         SENT', 'packet-loss     3', 'high-rtt       12']);
  });
});

describe('histograms', () => {
  it('put every value in its bin and mark a threshold on the bin it falls in', () => {
    const config = parseConfig({});
    const insights = [0, 0.05, 0.3, 0.95, 1.2, 3.3, 12].map((loss, i) =>
      makeInsights(`c-${i}`, { packetLossPct: loss }),
    );
    const metric = METRICS.find((m) => m.id === 'packet-loss');
    if (!metric) throw new Error('no packet-loss metric');
    const h = histogramOf(metric, insights, config);
    expect(h.calls).toBe(7);
    expect(h.bins.map((b) => b.calls)).toEqual([2, 0, 1, 0, 2, 0, 0, 1, 0, 1]);
    expect(h.bins[4]?.marks).toEqual(['>= 0.9 %: packet-loss fires']);
    expect(h.bins[8]?.marks).toEqual(['>= 5 %: critical']);
    const lines = renderHistogram(h, colorsFor(false, {}), 10);
    expect(lines[0]).toBe('Packet loss (%)  7 calls, median 0.95, p95 12, max 12');
    expect(lines[5]).toBe('   0.9 - 1.5 │██████████ 2  ◀ >= 0.9 %: packet-loss fires');
    expect(lines[8]).toBe('       3 - 5 │█████      1');
  });

  it('mark "below" thresholds on the bin under them', () => {
    const metric = METRICS.find((m) => m.id === 'quality');
    if (!metric) throw new Error('no quality metric');
    const h = histogramOf(metric, [makeInsights('c', { qualityScore: 2.7 })], parseConfig({}));
    expect(h.bins.find((b) => b.from === 2.5)?.marks).toEqual(['below 3: low-quality-score fires']);
    expect(h.bins.find((b) => b.from === 1.5)?.marks).toEqual(['below 2: critical']);
  });
});

describe('explain verdicts', () => {
  const verdict = (subject: ReturnType<typeof evaluated>, config = parseConfig({}), rule = 'packet-loss') =>
    explainRules(subject, config).find((v) => v.ruleId === rule);

  it('says why a rule fires, and which threshold set the severity', () => {
    expect(verdict(evaluated({}, { packetLossPct: 6.2 }))).toMatchObject({
      verdict: 'fires',
      severity: 'critical',
      value: '6.2 %',
      thresholds: '>= 0.9 %, critical >= 5 %',
      why: 'packet loss 6.2 % >= 5 %: critical (it fires at >= 0.9 %)',
    });
    expect(verdict(evaluated({}, { packetLossPct: 1.6 }))?.why).toBe(
      'packet loss 1.6 % >= 0.9 %, not yet critical (>= 5 %)',
    );
  });

  it('says why it stays quiet: below the threshold, switched off, out of scope, no insights', () => {
    expect(verdict(evaluated({}, { packetLossPct: 0.89 }))).toMatchObject({
      verdict: 'quiet',
      why: '0.89 % is below 0.9 %',
    });
    expect(
      verdict(
        evaluated({}, { packetLossPct: 3 }),
        parseConfig({ rules: { 'packet-loss': { enabled: false } } }),
      ),
    ).toMatchObject({ verdict: 'disabled', why: 'switched off in this config' });
    const scoped = parseConfig({ rules: { 'packet-loss': { scope: { directions: ['inbound'] } } } });
    expect(verdict(evaluated({ direction: 'outbound' }, { packetLossPct: 3 }), scoped)).toMatchObject({
      verdict: 'out-of-scope',
      why: "outside the rule's scope: direction outbound is not inbound",
    });
    expect(verdict(evaluated({}, null))).toMatchObject({ verdict: 'no-data', value: 'n/a' });
    expect(
      verdict(evaluated({ hangupSource: 'carrier', hangupCauseCode: 5030 }), undefined, 'zentrunk-hangup'),
    ).toMatchObject({
      verdict: 'quiet',
      why: 'hung up by carrier, not by Zentrunk',
    });
    expect(
      verdict(evaluated({ stirVerification: 'not-applicable' }), undefined, 'stir-unverified')?.why,
    ).toBe('not applicable: no US caller ID to verify');
  });

  it('names the override a call was judged by, also when it switches the rule off', () => {
    const config = parseConfig({
      rules: {
        'packet-loss': {
          overrides: [
            { scope: { trunkDomains: ['noisy.zt.plivo.com'] }, thresholdPct: 3 },
            { scope: { countries: ['IN'] }, enabled: false },
          ],
        },
      },
    });
    expect(
      verdict(evaluated({ trunkDomain: 'noisy.zt.plivo.com' }, { packetLossPct: 2 }), config),
    ).toMatchObject({
      verdict: 'quiet',
      thresholds: '>= 3 %, critical >= 5 %',
      override: 'trunk noisy.zt.plivo.com',
      why: '2 % is below 3 %',
    });
    expect(verdict(evaluated({ toCountry: 'IN' }, { packetLossPct: 9 }), config)).toMatchObject({
      verdict: 'disabled',
      why: 'switched off for this call by the override for country IN',
    });
  });
});
