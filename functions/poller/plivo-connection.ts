import { emptyPlivoStats, type PlivoClient, type PlivoClientStats } from '../adapters/plivo/plivo-client';
import { PlivoAuthError } from '../adapters/plivo/plivo-errors';
import {
  CredentialsError,
  type CredentialsSource,
  type PlivoCredentials,
} from '../adapters/secrets/plivo-credentials';
import type { Logger } from '../core/ports';

export interface PlivoConnectionOptions {
  credentials: CredentialsSource;
  /** A client for one set of credentials (the runtime gives them all one rate limiter). */
  createClient: (credentials: PlivoCredentials) => PlivoClient;
  /** Every token read is registered here before it is used; earlier ones stay registered. */
  secrets: { addSecret(value: string): void };
}

function sum(a: PlivoClientStats, b: PlivoClientStats): PlivoClientStats {
  const out = { ...a };
  for (const key of Object.keys(out) as (keyof PlivoClientStats)[]) out[key] += b[key];
  return out;
}

const same = (a: PlivoCredentials, b: PlivoCredentials) =>
  a.authId === b.authId && a.authToken === b.authToken;

/**
 * The Plivo client for the credentials as they are now; nothing holds credentials for the
 * container's life. Each run asks the source (a secret is re-read once it is older than its
 * maxAge) and gets a new client when they changed. A run whose credentials Plivo rejects
 * re-reads the secret at once, and if it holds other credentials does its work once more with
 * them: the rotation is picked up by that run instead of failing every run until Lambda
 * recycles the container.
 */
export class PlivoConnection {
  private client: PlivoClient | null = null;
  private credentials: PlivoCredentials | null = null;
  /** Counters of the clients replaced so far, so that stats() only ever grows. */
  private retired: PlivoClientStats = emptyPlivoStats();

  constructor(private readonly options: PlivoConnectionOptions) {}

  /**
   * Runs `work` (one poll) with the current client. On a PlivoAuthError the source is read
   * again, bypassing its cache, once: with new credentials `work` runs once more; with the same
   * ones the auth error stands. `work` must be safe to repeat (the poll use case is: lease,
   * dedup and cursor make a second pass harmless).
   */
  async run<T>(work: (source: PlivoClient) => Promise<T>, logger: Logger): Promise<T> {
    const source = await this.current(logger);
    try {
      return await work(source);
    } catch (error) {
      if (!(error instanceof PlivoAuthError) || !this.options.credentials.refreshable) throw error;
      const fresh = await this.refreshAfterRejection(logger);
      if (!fresh) throw error;
      logger.warn('Plivo rejected the credentials and the secret holds new ones; running again with them');
      return await work(fresh);
    }
  }

  /** Request counters of every client this connection made, added up. */
  stats(): PlivoClientStats {
    return this.client ? sum(this.retired, this.client.stats()) : { ...this.retired };
  }

  /** The client for the current credentials (cached by the source up to its maxAge). */
  private async current(logger: Logger): Promise<PlivoClient> {
    let credentials: PlivoCredentials;
    try {
      credentials = await this.options.credentials.get();
    } catch (error) {
      // A periodic re-read that fails (Secrets Manager throttled or down) does not stop a
      // poller whose credentials work; it is tried again next run. With nothing read yet, or
      // when Plivo rejects what was read, the run fails.
      if (!this.client) throw error;
      logger.warn('Could not re-read the Plivo credentials; using the ones read before', {
        error: (error as Error).message,
      });
      return this.client;
    }
    return this.use(credentials, logger);
  }

  /** After a rejection: null when the source still holds the rejected credentials. */
  private async refreshAfterRejection(logger: Logger): Promise<PlivoClient | null> {
    let fresh: PlivoCredentials;
    try {
      fresh = await this.options.credentials.get({ forceFetch: true });
    } catch (error) {
      throw new CredentialsError(
        `Plivo rejected the credentials, and reading them again (to pick up a rotated token) failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (this.credentials && same(fresh, this.credentials)) {
      logger.warn('Plivo rejected the credentials and the secret still holds the same ones');
      return null;
    }
    return this.use(fresh, logger);
  }

  private use(credentials: PlivoCredentials, logger: Logger): PlivoClient {
    if (this.client && this.credentials && same(credentials, this.credentials)) return this.client;
    this.options.secrets.addSecret(credentials.authToken);
    if (this.client && this.credentials) {
      logger.info('The Plivo credentials changed; using the new ones', {
        authIdChanged: credentials.authId !== this.credentials.authId,
      });
      this.retired = sum(this.retired, this.client.stats());
    }
    this.client = this.options.createClient(credentials);
    this.credentials = credentials;
    return this.client;
  }
}
