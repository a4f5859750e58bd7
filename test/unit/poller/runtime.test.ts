import { checkPlivoBaseUrl } from '../../../functions/poller/runtime';

describe('checkPlivoBaseUrl', () => {
  it('accepts https, and plain http only to a sandbox on this machine', () => {
    expect(checkPlivoBaseUrl('https://api.plivo.com/')).toBe('https://api.plivo.com');
    expect(checkPlivoBaseUrl('http://127.0.0.1:8089')).toBe('http://127.0.0.1:8089');
    expect(checkPlivoBaseUrl('http://localhost:8089')).toBe('http://localhost:8089');
  });

  it('refuses plain http anywhere else, and non-URLs, naming the variable', () => {
    expect(() => checkPlivoBaseUrl('http://api.plivo.com')).toThrow(/PLIVO_API_BASE_URL must use https/);
    expect(() => checkPlivoBaseUrl('http://10.0.0.5:8089')).toThrow(/https/);
    expect(() => checkPlivoBaseUrl('api.plivo.com')).toThrow(/PLIVO_API_BASE_URL is not a URL/);
  });
});
