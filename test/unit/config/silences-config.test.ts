import { ConfigError, parseConfig } from '../../../functions/core/config/load-config';

function issuesOf(value: unknown): string[] {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

const silence = {
  id: 'migration',
  matchers: { trunkDomains: ['acme.zt.plivo.com'] },
  startsAt: '2026-11-20T10:00:00Z',
  endsAt: '2026-11-20T14:00:00Z',
};
const quietPeriod = { id: 'weekly', days: ['sun'], start: '02:00', end: '04:00' };

describe('silences config', () => {
  it('defaults to no silences, so existing configs stay valid', () => {
    expect(parseConfig({}).silences).toEqual({ rules: [], quietPeriods: [] });
    expect(parseConfig({ silences: {} }).silences).toEqual({ rules: [], quietPeriods: [] });
  });

  it('accepts a silence and a quiet period, filling the defaults', () => {
    const { silences } = parseConfig({
      silences: {
        rules: [{ ...silence, comment: 'carrier migration' }],
        quietPeriods: [
          { ...quietPeriod, timeZone: 'Europe/Berlin' },
          { ...quietPeriod, id: 'utc' },
        ],
      },
    });
    expect(silences.rules[0]).toMatchObject({ id: 'migration', comment: 'carrier migration' });
    expect(silences.quietPeriods[0]).toMatchObject({ matchers: {}, timeZone: 'Europe/Berlin' });
    expect(silences.quietPeriods[1]).toMatchObject({ matchers: {}, timeZone: 'UTC' });
  });

  it.each<[string, unknown, RegExp]>([
    [
      'endsAt before startsAt',
      { rules: [{ ...silence, endsAt: '2026-11-20T09:00:00Z' }] },
      /^silences\.rules\[0\]\.endsAt: endsAt must be after startsAt$/,
    ],
    [
      'endsAt equal to startsAt',
      { rules: [{ ...silence, endsAt: silence.startsAt }] },
      /^silences\.rules\[0\]\.endsAt: endsAt must be after startsAt$/,
    ],
    [
      'a startsAt that is not an ISO datetime',
      { rules: [{ ...silence, startsAt: '20 Nov 2026' }] },
      /^silences\.rules\[0\]\.startsAt: .*datetime/i,
    ],
    [
      'empty matchers on a silence',
      { rules: [{ ...silence, matchers: {} }] },
      /^silences\.rules\[0\]\.matchers: give at least one matcher/,
    ],
    [
      'a silence without matchers',
      { rules: [{ ...silence, matchers: undefined }] },
      /^silences\.rules\[0\]\.matchers: /,
    ],
    [
      'an empty matcher list',
      { rules: [{ ...silence, matchers: { severity: [] } }] },
      /^silences\.rules\[0\]\.matchers\.severity: /,
    ],
    [
      'an unknown rule in a matcher',
      { rules: [{ ...silence, matchers: { rule: ['jitter'] } }] },
      /^silences\.rules\[0\]\.matchers\.rule\[0\]: Invalid option/,
    ],
    [
      'an unknown matcher',
      { rules: [{ ...silence, matchers: { carrier: ['x'] } }] },
      /^silences\.rules\[0\]\.matchers: Unrecognized key: "carrier"/,
    ],
    [
      'a lower-case country',
      { quietPeriods: [{ ...quietPeriod, matchers: { countries: ['us'] } }] },
      /^silences\.quietPeriods\[0\]\.matchers\.countries\[0\]: must be an ISO 3166-1/,
    ],
    [
      'a bad HH:MM start',
      { quietPeriods: [{ ...quietPeriod, start: '2:00' }] },
      /^silences\.quietPeriods\[0\]\.start: must be a time as HH:MM/,
    ],
    [
      'an hour past 23',
      { quietPeriods: [{ ...quietPeriod, end: '25:00' }] },
      /^silences\.quietPeriods\[0\]\.end: must be a time as HH:MM/,
    ],
    [
      'the same start and end',
      { quietPeriods: [{ ...quietPeriod, end: '02:00' }] },
      /^silences\.quietPeriods\[0\]\.end: end must differ from start/,
    ],
    [
      'an unknown time zone',
      { quietPeriods: [{ ...quietPeriod, timeZone: 'Mars/Olympus_Mons' }] },
      /^silences\.quietPeriods\[0\]\.timeZone: must be an IANA time zone name/,
    ],
    ['no days', { quietPeriods: [{ ...quietPeriod, days: [] }] }, /^silences\.quietPeriods\[0\]\.days: /],
    [
      'an unknown day',
      { quietPeriods: [{ ...quietPeriod, days: ['sunday'] }] },
      /^silences\.quietPeriods\[0\]\.days\[0\]: Invalid option/,
    ],
    [
      'a duplicate id',
      { rules: [silence], quietPeriods: [{ ...quietPeriod, id: 'migration' }] },
      /^silences\.quietPeriods\[0\]\.id: duplicate id "migration"/,
    ],
    ['an unknown key', { quiet: [] }, /^silences: Unrecognized key: "quiet"/],
  ])('rejects %s with the field path', (_case, silences, expected) => {
    expect(issuesOf({ silences })).toContainEqual(expect.stringMatching(expected));
  });
});
