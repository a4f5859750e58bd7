/** Alerts say why they are critical: the threshold that set the severity, and both levels. */
import { renderFindingAlert } from '../../../functions/core/alert-message';
import { parseConfig } from '../../../functions/core/config/load-config';
import { evaluateRules } from '../../../functions/core/rules/evaluate-rules';
import { evaluated } from '../../support/calls';

const options = { deploymentName: 'acme', maskPhoneNumbers: false, evaluatedAt: '2024-01-15T14:40:00.000Z' };

function first(subject: ReturnType<typeof evaluated>, config = parseConfig({})) {
  const [finding] = evaluateRules([subject], config);
  if (!finding) throw new Error('expected a finding');
  return finding;
}

describe('a rule with a critical level', () => {
  it('names the critical threshold in the headline of a critical packet-loss alert, and both in the body', () => {
    const finding = first(evaluated({ toCountry: 'GB' }, { packetLossPct: 6.2 }));
    expect(finding.severity).toBe('critical');
    expect(finding.headline).toBe('packet loss 6.2 % >= 5 %');
    // The level at which the rule fires at all is unchanged (groups and explain read it).
    expect(finding.threshold).toEqual({ comparison: '>=', value: 0.9, unit: '%' });
    expect(finding.levels).toEqual({
      fires: { comparison: '>=', value: 0.9, unit: '%' },
      critical: { comparison: '>=', value: 5, unit: '%' },
      setBy: 'critical',
    });

    const message = renderFindingAlert(finding, options);
    expect(message.subject).toMatch(/^\[acme CRITICAL\] packet-loss: packet loss 6\.2 % >= 5 % \|/);
    expect(message.text).toContain(
      'measured packet loss 6.2 %, threshold >= 5 % for critical; fires at >= 0.9 %',
    );
    expect(message.json.levels).toEqual(finding.levels);
  });

  it('shows the critical level on a warning too', () => {
    const finding = first(evaluated({}, { packetLossPct: 1.6 }));
    expect(finding).toMatchObject({ severity: 'warning', headline: 'packet loss 1.6 % >= 0.9 %' });
    expect(finding.levels?.setBy).toBe('fires');
    expect(renderFindingAlert(finding, options).text).toContain(
      'measured packet loss 1.6 %, threshold >= 0.9 %; critical at >= 5 %',
    );
  });

  it('does the same for a quality score below criticalBelow, and follows an override', () => {
    const finding = first(evaluated({}, { qualityScore: 1.7 }));
    expect(finding).toMatchObject({ severity: 'critical', headline: 'quality score 1.7 < 2' });
    expect(renderFindingAlert(finding, options).text).toContain('threshold < 2 for critical; fires at < 3');

    const config = parseConfig({
      rules: {
        'packet-loss': {
          overrides: [{ scope: { countries: ['IN'] }, thresholdPct: 3, criticalPct: 8 }],
        },
      },
    });
    const overridden = first(evaluated({ toCountry: 'IN' }, { packetLossPct: 9 }), config);
    expect(overridden.headline).toBe('packet loss 9 % >= 8 %');
    expect(renderFindingAlert(overridden, options).text).toContain(
      'threshold >= 8 % for critical (override for country IN); fires at >= 3 %',
    );
  });

  it('leaves rules with one level as they were', () => {
    const finding = first(evaluated({}, { jitterMs: 41 }));
    expect(finding.levels).toBeUndefined();
    expect(renderFindingAlert(finding, options).text).toContain('measured jitter 41 ms, threshold >= 30 ms');
    expect(renderFindingAlert(finding, options).json.levels).toBeNull();
  });
});
