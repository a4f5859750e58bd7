import {
  clip,
  oneLine,
  REDACTED,
  SECRET_FRAGMENT_LENGTH,
  SecretScrubber,
} from '../../../functions/adapters/plivo/upstream-text';

const TOKEN = 'ZTc3MjE0ZDhkNzQ4YjQxOGNiYzE4ZmFhYzQ0Mjg1';
const AUTH_ID = 'MAZDQ1ZJIYMDZKMTEST';
const BASE64 = Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64');

const scrubber = () =>
  new SecretScrubber([`Basic ${BASE64}`, BASE64, TOKEN], [TOKEN, BASE64], [[AUTH_ID, '{auth_id}']]);

describe('SecretScrubber', () => {
  it('exact: replaces whole secrets only, the longest first', () => {
    const s = scrubber();
    expect(s.exact(`a ${TOKEN} b Basic ${BASE64} c`)).toBe(`a ${REDACTED} b ${REDACTED} c`);
    expect(s.exact(`half ${TOKEN.slice(0, 20)}`)).toBe(`half ${TOKEN.slice(0, 20)}`);
    expect(s.exact(AUTH_ID)).toBe(AUTH_ID);
  });

  it('full: also replaces any piece of a secret of 8 characters or more, as one run', () => {
    const s = scrubber();
    expect(s.full(`cut: ${TOKEN.slice(0, 26)}`)).toBe(`cut: ${REDACTED}`);
    expect(s.full(`${TOKEN.slice(14)}|end`)).toBe(`${REDACTED}|end`);
    expect(s.full(`b64 ${BASE64.slice(30, 45)}.`)).toBe(`b64 ${REDACTED}.`);
    // Two pieces apart stay two.
    expect(s.full(`${TOKEN.slice(0, 9)} and ${TOKEN.slice(20, 30)}`)).toBe(`${REDACTED} and ${REDACTED}`);
    // Shorter than a fragment: not recognisable, left alone.
    const short = TOKEN.slice(3, 3 + SECRET_FRAGMENT_LENGTH - 1);
    expect(s.full(`x${short}x`)).toBe(`x${short}x`);
    expect(s.full(`account ${AUTH_ID}`)).toBe('account {auth_id}');
  });

  it('full: no 8 characters of the token survive, wherever the token is cut', () => {
    const s = scrubber();
    for (let from = 0; from < TOKEN.length; from += 1) {
      for (let to = from + SECRET_FRAGMENT_LENGTH; to <= TOKEN.length; to += 1) {
        const out = s.full(`<${TOKEN.slice(from, to)}>`);
        expect(out).toBe(`<${REDACTED}>`);
      }
    }
  });

  it('leaves text without secrets as it is', () => {
    const s = scrubber();
    const text = 'Service Unavailable: upstream connect error or disconnect/reset before headers';
    expect(s.full(text)).toBe(text);
    expect(new SecretScrubber([]).full(text)).toBe(text);
  });
});

describe('clip and oneLine', () => {
  it('cut with an ellipsis, only when too long', () => {
    expect(clip('abcdef', 6)).toBe('abcdef');
    expect(clip('abcdefg', 6)).toBe('abcde…');
    expect(clip('abcdefg', 6)).toHaveLength(6);
  });

  it('turns control characters into spaces', () => {
    expect(oneLine('a\r\nb\u0000c\u2028d')).toBe('a b c d');
  });
});
