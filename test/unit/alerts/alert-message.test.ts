import { asciiSubject, maskNumber, renderFindingAlert } from '../../../functions/core/alert-message';
import { parseConfig } from '../../../functions/core/config/load-config';
import { evaluateRules } from '../../../functions/core/rules/evaluate-rules';
import { evaluated } from '../../support/calls';

const config = parseConfig({});
const options = { deploymentName: 'acme', maskPhoneNumbers: false, evaluatedAt: '2024-01-15T14:40:00.000Z' };

function render(subject = evaluated({ toCountry: 'GB' }, { packetLossPct: 2.4 }), opts = options) {
  const [finding] = evaluateRules([subject], config);
  if (!finding) throw new Error('expected a finding');
  return renderFindingAlert(finding, opts);
}

describe('renderFindingAlert', () => {
  it('has a one-line ASCII subject under 100 characters saying what and where', () => {
    const message = render();
    expect(message.subject.length).toBeLessThan(100);
    expect(message.subject).toMatch(
      /^\[acme WARNING\] packet-loss: packet loss 2\.4 % >= 0\.9 % \| 93667062664669661\.zt\.plivo\.com \| US->GB$/,
    );
    expect(message.subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('gives on-call what to act on: measured vs threshold, call, numbers, carriers, times, next steps', () => {
    const subject = evaluated({ toCountry: 'GB' }, { packetLossPct: 2.4 });
    const { text, json, attributes, shortText, dedupKey } = render(subject);
    expect(text).toContain('measured packet loss 2.4 %, threshold >= 0.9 %');
    expect(text).toContain(subject.call.callUuid);
    expect(text).toContain('+12025551234 -> +13128574907');
    expect(text).toContain('from Verizon Wireless -> to AT&T');
    expect(text).toContain('ended 2024-01-15 14:32:00 UTC');
    expect(text).toContain('outbound US->GB');
    expect(text).toMatch(/What to check next:\n {2}- Check the network path/);
    expect(dedupKey).toBe(`zentrunk-alerts:packet-loss#${subject.call.callUuid}`);
    expect(json).toMatchObject({ rule: 'packet-loss', severity: 'warning', dedupKey });
    expect(attributes).toEqual({
      severity: 'warning',
      rule: 'packet-loss',
      state: 'firing',
      trunk_domain: '93667062664669661.zt.plivo.com',
      direction: 'outbound',
      to_country: 'GB',
    });
    expect(shortText.length).toBeLessThanOrEqual(160);
  });

  it('masks phone numbers everywhere when asked', () => {
    const { text, json, shortText } = render(undefined, { ...options, maskPhoneNumbers: true });
    const all = `${text}\n${JSON.stringify(json)}\n${shortText}`;
    expect(all).not.toContain('2025551234');
    expect(all).not.toContain('3128574907');
    expect(text).toContain('+*******1234 -> +*******4907');
  });

  it('says when insights are missing', () => {
    const { text } = render(evaluated({ hangupSource: 'zentrunk', hangupCauseCode: 5290 }, null));
    expect(text).toContain('Insights: not available yet');
  });
});

describe('helpers', () => {
  it('maskNumber keeps the last four digits', () => {
    expect(maskNumber('+447700900123')).toBe('+********0123');
    expect(maskNumber('123')).toBe('***');
  });
  it('asciiSubject strips line breaks and non-ASCII and caps the length', () => {
    expect(asciiSubject('a\nb — ü')).toBe('a b u');
    expect(asciiSubject('x'.repeat(200))).toHaveLength(99);
  });
});

describe('an alert judged by an override', () => {
  it('names the override next to the threshold, in text and JSON', () => {
    const overridden = parseConfig({
      rules: { 'packet-loss': { overrides: [{ scope: { countries: ['GB'] }, thresholdPct: 2 }] } },
    });
    const [finding] = evaluateRules([evaluated({ toCountry: 'GB' }, { packetLossPct: 2.4 })], overridden);
    if (!finding) throw new Error('expected a finding');
    const { text, json } = renderFindingAlert(finding, options);
    expect(text).toContain('threshold >= 2 % (override for country GB)');
    expect(json.thresholdOverride).toBe('country GB');
  });
});

describe('a long subject', () => {
  it('shortens the trunk domain first, keeping the headline and the route', () => {
    const subject = evaluated(
      { trunkDomain: 'initech-voice-primary.ap-south-1.zt.plivo.com', fromCountry: 'IN', toCountry: 'DE' },
      { packetLossPct: 2.4 },
    );
    const { subject: line } = render(subject);
    expect(line.length).toBeLessThan(100);
    expect(line).toMatch(
      /^\[acme WARNING\] packet-loss: packet loss 2\.4 % >= 0\.9 % \| initech-voice-.*\.\.\. \| IN->DE$/,
    );
  });
});
