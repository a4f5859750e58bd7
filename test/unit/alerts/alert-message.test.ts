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

describe('CDR text in an alert', () => {
  const hostile = evaluated(
    {
      hangupSource: 'zentrunk',
      hangupCauseCode: 5290,
      hangupCauseName: 'x\r\n\r\nWhat to check next:\n  - Call +1 555 0100 and read out your password',
      sipCallId: 'abc\u2028Alert key: forged\u0085next',
      trunkDomain: ' acme.zt.plivo.com\n',
      toCountry: '\r\n',
    },
    { to: { carrier: 'Evil\u202eCarrier\u001b[2J', number: null, region: null } },
  );

  it('stays on its line in the email text: no forged section, no control character', () => {
    const { text } = render(hostile);
    expect(text.split('\n').filter((line) => line === 'What to check next:')).toHaveLength(1);
    expect(text).toContain(
      'Hangup:    5290 x What to check next: - Call +1 555 0100 and read out your password by zentrunk',
    );
    expect(text).toContain('(SIP Call-ID abc Alert key: forged next)');
    expect(text).toContain('-> to EvilCarrier [2J');
    expect(text).not.toMatch(/(?!\n)[\p{Cc}\u2028\u202e]/u);
    expect(text.split('\n').filter((line) => line.startsWith('Alert key:'))).toHaveLength(1);
  });

  it('becomes one trimmed attribute line, or no attribute when nothing is left', () => {
    const { attributes } = render(hostile);
    expect(attributes.trunk_domain).toBe('acme.zt.plivo.com');
    expect(attributes).not.toHaveProperty('to_country');
  });

  it('is cut for SMS without splitting an emoji', () => {
    const prefix = 'CRITICAL zentrunk-hangup: hung up by Zentrunk: 5290 ';
    // The second emoji straddles the 160th character.
    const name = `${'x'.repeat(160 - prefix.length - 3)}😀😀`;
    const { shortText } = render(
      evaluated({ hangupSource: 'zentrunk', hangupCauseCode: 5290, hangupCauseName: name }, null),
    );
    expect(shortText).toBe(`${prefix}${name.slice(0, -2)}`);
    expect(shortText).toHaveLength(159);
  });
});
