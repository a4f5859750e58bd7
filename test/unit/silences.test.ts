import { parseConfig } from '../../functions/core/config/load-config';
import type { AlertConfig, Severity } from '../../functions/core/config/schema';
import type { Call } from '../../functions/core/call';
import type { Finding } from '../../functions/core/finding';
import { activeSilenceFor } from '../../functions/core/silences';
import { makeCall } from '../support/calls';

function finding(ruleId = 'packet-loss', severity: Severity = 'warning', call: Partial<Call> = {}): Finding {
  return {
    ruleId,
    severity,
    headline: 'test finding',
    measured: { metric: 'packet loss', value: 2, unit: '%' },
    threshold: { comparison: '>=', value: 0.9, unit: '%' },
    call: makeCall(call),
    insights: null,
    nextSteps: [],
  };
}

function silencesOf(silences: unknown): AlertConfig['silences'] {
  return parseConfig({ silences }).silences;
}

const at = (iso: string) => new Date(iso);

describe('one-off silences', () => {
  const window = { startsAt: '2026-11-20T10:00:00Z', endsAt: '2026-11-20T14:00:00Z' };

  it('is active from startsAt (inclusive) to endsAt (exclusive)', () => {
    const silences = silencesOf({ rules: [{ id: 's1', matchers: { rule: ['packet-loss'] }, ...window }] });
    const f = finding();
    expect(activeSilenceFor(f, at('2026-11-20T09:59:59.999Z'), silences)).toBeNull();
    expect(activeSilenceFor(f, at('2026-11-20T10:00:00Z'), silences)).toEqual({
      id: 's1',
      kind: 'silence',
      endsAt: '2026-11-20T14:00:00.000Z',
    });
    expect(activeSilenceFor(f, at('2026-11-20T13:59:59.999Z'), silences)?.id).toBe('s1');
    expect(activeSilenceFor(f, at('2026-11-20T14:00:00Z'), silences)).toBeNull();
  });

  it('reads offsets in startsAt/endsAt and reports endsAt in UTC', () => {
    const silences = silencesOf({
      rules: [
        {
          id: 'offset',
          matchers: { severity: ['warning'] },
          startsAt: '2026-11-20T11:00:00+01:00',
          endsAt: '2026-11-20T15:00:00+01:00',
        },
      ],
    });
    expect(activeSilenceFor(finding(), at('2026-11-20T09:59:00Z'), silences)).toBeNull();
    expect(activeSilenceFor(finding(), at('2026-11-20T10:00:00Z'), silences)?.endsAt).toBe(
      '2026-11-20T14:00:00.000Z',
    );
  });

  it('needs every matcher field to match (AND), any value within a list (OR)', () => {
    const silences = silencesOf({
      rules: [
        {
          id: 'acme-quality',
          matchers: {
            rule: ['packet-loss', 'high-jitter'],
            severity: ['warning', 'info'],
            trunkDomains: ['acme.zt.plivo.com'],
            directions: ['outbound'],
          },
          ...window,
        },
      ],
    });
    const now = at('2026-11-20T12:00:00Z');
    const acme = { trunkDomain: 'acme.zt.plivo.com' };
    expect(activeSilenceFor(finding('packet-loss', 'warning', acme), now, silences)?.id).toBe('acme-quality');
    expect(activeSilenceFor(finding('high-jitter', 'info', acme), now, silences)?.id).toBe('acme-quality');
    // Any one field missing its match lets the finding through.
    expect(activeSilenceFor(finding('high-rtt', 'warning', acme), now, silences)).toBeNull();
    expect(activeSilenceFor(finding('packet-loss', 'critical', acme), now, silences)).toBeNull();
    expect(activeSilenceFor(finding('packet-loss', 'warning'), now, silences)).toBeNull();
    expect(
      activeSilenceFor(finding('packet-loss', 'warning', { ...acme, direction: 'inbound' }), now, silences),
    ).toBeNull();
    // A call without the field cannot match a list on it.
    expect(
      activeSilenceFor(finding('packet-loss', 'warning', { ...acme, direction: null }), now, silences),
    ).toBeNull();
  });

  it('matches countries on either end of the call', () => {
    const silences = silencesOf({ rules: [{ id: 'in', matchers: { countries: ['IN'] }, ...window }] });
    const now = at('2026-11-20T12:00:00Z');
    expect(activeSilenceFor(finding('packet-loss', 'warning', { toCountry: 'IN' }), now, silences)?.id).toBe(
      'in',
    );
    expect(
      activeSilenceFor(finding('packet-loss', 'warning', { fromCountry: 'IN' }), now, silences)?.id,
    ).toBe('in');
    expect(activeSilenceFor(finding('packet-loss', 'warning'), now, silences)).toBeNull();
  });

  it('takes the first match, silences before quiet periods', () => {
    const silences = silencesOf({
      rules: [
        { id: 'first', matchers: { rule: ['packet-loss'] }, ...window },
        { id: 'second', matchers: { severity: ['warning'] }, ...window },
      ],
      quietPeriods: [{ id: 'always', days: ['fri'], start: '00:00', end: '24:00' }],
    });
    expect(activeSilenceFor(finding(), at('2026-11-20T12:00:00Z'), silences)?.id).toBe('first');
    expect(activeSilenceFor(finding('high-rtt'), at('2026-11-20T12:00:00Z'), silences)?.id).toBe('second');
    expect(activeSilenceFor(finding('high-rtt', 'critical'), at('2026-11-20T12:00:00Z'), silences)).toEqual({
      id: 'always',
      kind: 'quiet-period',
      endsAt: null,
    });
  });

  it('mutes nothing without any silences', () => {
    expect(activeSilenceFor(finding(), at('2026-11-20T12:00:00Z'), parseConfig({}).silences)).toBeNull();
  });
});

describe('quiet periods', () => {
  it('with empty matchers mutes every finding in the window', () => {
    const silences = silencesOf({
      quietPeriods: [{ id: 'all', matchers: {}, days: ['fri'], start: '11:00', end: '13:00' }],
    });
    const now = at('2026-11-20T12:00:00Z'); // a Friday
    for (const f of [
      finding('zentrunk-hangup', 'critical'),
      finding('high-post-dial-delay', 'info', { trunkDomain: null, direction: null }),
    ]) {
      expect(activeSilenceFor(f, now, silences)?.id).toBe('all');
    }
    expect(activeSilenceFor(finding(), at('2026-11-20T13:00:00Z'), silences)).toBeNull();
    expect(activeSilenceFor(finding(), at('2026-11-21T12:00:00Z'), silences)).toBeNull(); // Saturday
  });

  it('applies its matchers', () => {
    const silences = silencesOf({
      quietPeriods: [
        { id: 'warn', matchers: { severity: ['warning'] }, days: ['fri'], start: '11:00', end: '13:00' },
      ],
    });
    const now = at('2026-11-20T12:00:00Z');
    expect(activeSilenceFor(finding('packet-loss', 'warning'), now, silences)?.id).toBe('warn');
    expect(activeSilenceFor(finding('zentrunk-hangup', 'critical'), now, silences)).toBeNull();
  });

  it('reads the window in its own time zone, across midnight, on the day it starts', () => {
    // Saturday 22:00 to Sunday 02:00 in India (UTC+05:30): 16:30Z Sat to 20:30Z Sat.
    const silences = silencesOf({
      quietPeriods: [{ id: 'ist', days: ['sat'], start: '22:00', end: '02:00', timeZone: 'Asia/Kolkata' }],
    });
    const active = (iso: string) => activeSilenceFor(finding(), at(iso), silences)?.id ?? null;
    expect(active('2026-11-21T16:29:59Z')).toBeNull(); // Sat 21:59 IST
    expect(active('2026-11-21T16:30:00Z')).toBe('ist'); // Sat 22:00 IST, start inclusive
    expect(active('2026-11-21T18:30:00Z')).toBe('ist'); // Sun 00:00 IST
    expect(active('2026-11-21T20:29:59Z')).toBe('ist'); // Sun 01:59 IST
    expect(active('2026-11-21T20:30:00Z')).toBeNull(); // Sun 02:00 IST, end exclusive
    expect(active('2026-11-22T17:30:00Z')).toBeNull(); // Sun 23:00 IST: Sunday is not listed
    expect(active('2026-11-22T19:30:00Z')).toBeNull(); // Mon 01:00 IST: follows Sunday, not listed
    expect(active('2026-11-20T17:30:00Z')).toBeNull(); // Fri 23:00 IST
  });

  it('follows daylight saving time: the same local window is a different UTC hour in summer', () => {
    // Tuesday 22:00 to Wednesday 02:00 in New York: 02:00Z in summer (EDT), 03:00Z in winter (EST).
    const silences = silencesOf({
      quietPeriods: [{ id: 'ny', days: ['tue'], start: '22:00', end: '02:00', timeZone: 'America/New_York' }],
    });
    const active = (iso: string) => activeSilenceFor(finding(), at(iso), silences)?.id ?? null;
    expect(active('2026-07-15T02:30:00Z')).toBe('ny'); // Tue 22:30 EDT
    expect(active('2026-01-14T02:30:00Z')).toBeNull(); // Tue 21:30 EST
    expect(active('2026-01-14T03:00:00Z')).toBe('ny'); // Tue 22:00 EST
    expect(active('2026-07-15T05:59:00Z')).toBe('ny'); // Wed 01:59 EDT
    expect(active('2026-07-15T06:00:00Z')).toBeNull(); // Wed 02:00 EDT
  });

  it('keeps wall-clock bounds on the night the clocks go forward', () => {
    // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST, so 01:00–04:00 lasts two real hours.
    const silences = silencesOf({
      quietPeriods: [
        { id: 'berlin', days: ['sun'], start: '01:00', end: '04:00', timeZone: 'Europe/Berlin' },
      ],
    });
    const active = (iso: string) => activeSilenceFor(finding(), at(iso), silences)?.id ?? null;
    expect(active('2026-03-28T23:59:00Z')).toBeNull(); // Sun 00:59 CET
    expect(active('2026-03-29T00:00:00Z')).toBe('berlin'); // Sun 01:00 CET
    expect(active('2026-03-29T01:30:00Z')).toBe('berlin'); // Sun 03:30 CEST
    expect(active('2026-03-29T02:00:00Z')).toBeNull(); // Sun 04:00 CEST
  });

  it('runs to the end of the day with "24:00" and defaults to UTC', () => {
    const silences = silencesOf({
      quietPeriods: [{ id: 'day', days: ['sun'], start: '00:00', end: '24:00' }],
    });
    expect(silences.quietPeriods[0]?.timeZone).toBe('UTC');
    const active = (iso: string) => activeSilenceFor(finding(), at(iso), silences)?.id ?? null;
    expect(active('2026-11-21T23:59:59Z')).toBeNull(); // Saturday
    expect(active('2026-11-22T00:00:00Z')).toBe('day');
    expect(active('2026-11-22T23:59:59Z')).toBe('day');
    expect(active('2026-11-23T00:00:00Z')).toBeNull(); // Monday
  });
});
