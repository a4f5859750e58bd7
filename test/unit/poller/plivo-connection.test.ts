import { emptyPlivoStats } from '../../../functions/adapters/plivo/plivo-client';
import type { PlivoClient, PlivoClientStats } from '../../../functions/adapters/plivo/plivo-client';
import { PlivoAuthError } from '../../../functions/adapters/plivo/plivo-errors';
import {
  type CredentialsSource,
  type PlivoCredentials,
  StaticCredentials,
} from '../../../functions/adapters/secrets/plivo-credentials';
import { PlivoConnection } from '../../../functions/poller/plivo-connection';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const rejected = () =>
  new PlivoAuthError({
    status: 401,
    plivoMessage: 'invalid Auth ID or Auth Token',
    request: 'GET /',
    requestId: null,
  });

/** A source whose value the test sets; it counts reads. */
class Secret implements CredentialsSource {
  readonly refreshable = true;
  reads: { forceFetch: boolean }[] = [];
  constructor(public value: PlivoCredentials) {}
  async get(options: { forceFetch?: boolean } = {}) {
    this.reads.push({ forceFetch: options.forceFetch === true });
    return this.value;
  }
}

/** Clients are stand-ins that know their token and count one request per use. */
function connection(credentials: CredentialsSource) {
  const secrets: string[] = [];
  const made: { token: string; stats: PlivoClientStats }[] = [];
  const plivo = new PlivoConnection({
    credentials,
    secrets: { addSecret: (v) => secrets.push(v) },
    createClient: ({ authToken }) => {
      const client = {
        token: authToken,
        stats: emptyPlivoStats(),
      };
      made.push(client);
      return {
        token: authToken,
        stats: () => ({ ...client.stats }),
        use: () => (client.stats.requests += 1),
      } as unknown as PlivoClient;
    },
  });
  const tokenOf = (source: PlivoClient) => {
    (source as unknown as { use(): void }).use();
    return (source as unknown as { token: string }).token;
  };
  return { plivo, secrets, made, tokenOf };
}

describe('PlivoConnection', () => {
  it('builds a new client only when the credentials change, and registers every token', async () => {
    const secret = new Secret({ authId: 'MA1', authToken: 'token-one' });
    const c = connection(secret);

    expect(await c.plivo.run(async (s) => c.tokenOf(s), silent)).toBe('token-one');
    expect(await c.plivo.run(async (s) => c.tokenOf(s), silent)).toBe('token-one');
    secret.value = { authId: 'MA1', authToken: 'token-two' };
    expect(await c.plivo.run(async (s) => c.tokenOf(s), silent)).toBe('token-two');

    expect(c.made.map((m) => m.token)).toEqual(['token-one', 'token-two']);
    expect(c.secrets).toEqual(['token-one', 'token-two']);
    // Counters of the replaced client are kept: three requests in all.
    expect(c.plivo.stats().requests).toBe(3);
  });

  it('after a rejection re-reads once and repeats the work once, never more', async () => {
    const secret = new Secret({ authId: 'MA1', authToken: 'token-one' });
    const c = connection(secret);
    let attempts = 0;
    const work = async (s: PlivoClient) => {
      attempts += 1;
      c.tokenOf(s);
      secret.value = { authId: 'MA1', authToken: `token-${attempts + 1}` };
      throw rejected();
    };

    await expect(c.plivo.run(work, silent)).rejects.toBeInstanceOf(PlivoAuthError);

    expect(attempts).toBe(2);
    expect(secret.reads).toEqual([{ forceFetch: false }, { forceFetch: true }]);
  });

  it('has nothing to re-read with credentials from the environment', async () => {
    const c = connection(new StaticCredentials({ authId: 'MA1', authToken: 'env-token' }));
    let attempts = 0;
    await expect(
      c.plivo.run(async () => {
        attempts += 1;
        throw rejected();
      }, silent),
    ).rejects.toBeInstanceOf(PlivoAuthError);
    expect(attempts).toBe(1);
  });

  it('does not re-read on other failures', async () => {
    const secret = new Secret({ authId: 'MA1', authToken: 'token-one' });
    const c = connection(secret);
    await expect(
      c.plivo.run(async () => {
        throw new Error('DynamoDB down');
      }, silent),
    ).rejects.toThrow('DynamoDB down');
    expect(secret.reads).toHaveLength(1);
  });
});
