import { AlerterError, type FailureKind } from '../../core/errors';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod/mini';
import '../../core/zod-locale';

export interface PlivoCredentials {
  authId: string;
  authToken: string;
}

/** Raised when Plivo's credentials are refused or unusable. Never carries a secret value. */
export class CredentialsError extends AlerterError {
  override name = 'CredentialsError';
  override readonly failure: FailureKind = 'plivo-credentials-rejected';
}

/**
 * There are no usable credentials to give Plivo: none configured, the secret unreadable, still
 * the placeholder, or not {"authId", "authToken"}. Plivo was not asked, so nothing was rejected.
 */
export class CredentialsMissingError extends CredentialsError {
  override name = 'CredentialsMissingError';
  override readonly failure: FailureKind = 'plivo-credentials-missing';
}

/**
 * How long a read of the credentials secret is reused, in seconds. A rotation that makes Plivo
 * refuse the old token needs no wait: the poller re-reads the secret at once after an auth
 * failure. This bound is for the other changes: a new token while the old one still works, or
 * another Auth ID. Five minutes is one default schedule interval, so a warm container reads the
 * secret about once per run (a fraction of a cent a month, a few ms), and a change is in use
 * within five minutes.
 */
export const CREDENTIALS_MAX_AGE_SECONDS = 5 * 60;

/** Where the Plivo credentials come from, read again whenever they may have changed. */
export interface CredentialsSource {
  /** false when there is nothing to re-read (credentials from the environment). */
  readonly refreshable: boolean;
  /**
   * The credentials as they are now. A secret is read at most once per maxAge unless
   * `forceFetch` asks for a read at once (after Plivo rejected what was read before).
   */
  get(options?: { forceFetch?: boolean }): Promise<PlivoCredentials>;
}

const secretSchema = z.object({
  authId: z.string().check(
    z.minLength(1),
    z.refine((v) => v !== 'REPLACE_ME', 'is still the placeholder'),
  ),
  authToken: z.string().check(z.minLength(1)),
});

/** From PLIVO_AUTH_ID + PLIVO_AUTH_TOKEN; null when neither is set. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): PlivoCredentials | null {
  const authId = env.PLIVO_AUTH_ID;
  const authToken = env.PLIVO_AUTH_TOKEN;
  if (!authId && !authToken) return null;
  if (!authId || !authToken) {
    throw new CredentialsMissingError('Set both PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN, or neither');
  }
  return { authId, authToken };
}

/** Fixed credentials (from the environment, for local use): nothing to re-read. */
export class StaticCredentials implements CredentialsSource {
  readonly refreshable = false;
  constructor(private readonly credentials: PlivoCredentials) {}
  async get(): Promise<PlivoCredentials> {
    return this.credentials;
  }
}

/**
 * Checks a secret's value: {"authId": "...", "authToken": "..."}. Messages name the secret and
 * the fields, never a value.
 */
export function parseCredentialsSecret(secretArn: string, value: unknown): PlivoCredentials {
  let parsed: unknown;
  try {
    if (typeof value !== 'string') throw new TypeError('no SecretString');
    parsed = JSON.parse(value);
  } catch {
    // JSON.parse's own message quotes the text: it is not repeated.
    throw new CredentialsMissingError(
      `The secret ${secretArn} is not JSON; expected {"authId": "...", "authToken": "..."}`,
    );
  }
  const result = secretSchema.safeParse(parsed);
  if (!result.success) {
    // Only the field names go into the message, never their values.
    const fields = result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ');
    throw new CredentialsMissingError(
      `The secret ${secretArn} must hold {"authId": "...", "authToken": "..."}: ${fields}`,
    );
  }
  return result.data;
}

export interface SecretCredentialsOptions {
  secretArn: string;
  /** The Secrets Manager client (tests pass one mocked with aws-sdk-client-mock). Default: a new one. */
  client?: SecretsManagerClient;
  /** Default CREDENTIALS_MAX_AGE_SECONDS. */
  maxAgeSeconds?: number;
}

/**
 * A Secrets Manager secret holding {"authId": "...", "authToken": "..."}, read through
 * Powertools Parameters: its cache keeps a value for maxAge, and `forceFetch` bypasses it.
 */
export class SecretCredentials implements CredentialsSource {
  readonly refreshable = true;
  private readonly secretArn: string;
  private readonly maxAgeSeconds: number;
  private readonly provider: SecretsProvider;
  /** The last value read was unusable: read again next time rather than keep it for maxAge. */
  private lastInvalid = false;

  constructor(options: SecretCredentialsOptions) {
    this.secretArn = options.secretArn;
    this.maxAgeSeconds = options.maxAgeSeconds ?? CREDENTIALS_MAX_AGE_SECONDS;
    this.provider = new SecretsProvider(options.client ? { awsSdkV3Client: options.client } : {});
  }

  async get(options: { forceFetch?: boolean } = {}): Promise<PlivoCredentials> {
    let value: unknown;
    try {
      value = await this.provider.get(this.secretArn, {
        maxAge: this.maxAgeSeconds,
        forceFetch: options.forceFetch === true || this.lastInvalid,
      });
    } catch (error) {
      // Powertools wraps the SDK's error (GetParameterError); its cause says what went wrong.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : (error as Error);
      throw new CredentialsMissingError(
        `Cannot read the Plivo credentials secret ${this.secretArn}: ${cause.name}: ${cause.message}`,
      );
    }
    try {
      const credentials = parseCredentialsSecret(this.secretArn, value);
      this.lastInvalid = false;
      return credentials;
    } catch (error) {
      this.lastInvalid = true;
      throw error;
    }
  }
}
