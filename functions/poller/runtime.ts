import { AlerterError, type FailureKind } from '../core/errors';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbStateStore } from '../adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../adapters/logging/json-logger';
import { PlivoClient } from '../adapters/plivo/plivo-client';
import { RateLimiter } from '../adapters/plivo/rate-limiter';
import {
  type CredentialsSource,
  credentialsFromEnv,
  SecretCredentials,
  StaticCredentials,
} from '../adapters/secrets/plivo-credentials';
import { SnsNotifier } from '../adapters/sns/sns-notifier';
import { loadConfigFile } from '../core/config/load-config';
import type { AlertConfig } from '../core/config/schema';
import type { Notifier, StateStore } from '../core/ports';
import { DEFAULT_PLIVO_API_BASE_URL, ENV } from '../core/contract';
import { PlivoConnection } from './plivo-connection';

/** What the poller needs before it reads any config: state, notifiers, logs. */
export interface PollerInfrastructure {
  store: StateStore;
  notifier: Notifier;
  /** The poller's own health messages (OPS_TOPIC_ARN, else the alert topic). */
  opsNotifier: Notifier;
  logger: JsonLogger;
}

/** Everything a poll run needs, built once per Lambda container. */
export interface PollerRuntime extends PollerInfrastructure {
  config: AlertConfig;
  /** The Plivo client for the current credentials (never kept for the container's life). */
  plivo: PlivoConnection;
}

/** What the local runner and tests swap; everything else comes from the environment. */
export interface RuntimeOverrides {
  env?: NodeJS.ProcessEnv;
  notifier?: Notifier;
  opsNotifier?: Notifier;
  logger?: JsonLogger;
  /** Reads PLIVO_CREDENTIALS_SECRET_ARN (default: a new client; tests pass a mocked one). */
  secretsManager?: SecretsManagerClient;
  /** Where CloudWatch EMF metric lines go (default: the logger's stdout). */
  writeMetrics?: (line: string) => void;
}

export class RuntimeConfigError extends AlerterError {
  override name = 'RuntimeConfigError';
  override readonly failure: FailureKind = 'config-invalid';
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new RuntimeConfigError(`Environment variable ${name} is not set`);
  return value;
}

/**
 * Plivo is only ever called over TLS; plain HTTP is allowed solely for a sandbox on this
 * machine (the local runner and tests).
 */
export function checkPlivoBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RuntimeConfigError(`${ENV.plivoApiBaseUrl} is not a URL: ${raw}`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new RuntimeConfigError(
      `${ENV.plivoApiBaseUrl} must use https:// (plain http is allowed only for a local sandbox on 127.0.0.1): ${raw}`,
    );
  }
  return raw.replace(/\/+$/, '');
}

/**
 * The parts that need only the environment. Built first so that a poller whose config or
 * credentials are broken can still record that and tell operations.
 */
export function createInfrastructure(overrides: RuntimeOverrides = {}): PollerInfrastructure {
  const env = overrides.env ?? process.env;
  const logger = overrides.logger ?? new JsonLogger({ context: { service: 'zentrunk-alerts-poller' } });
  const store = new DynamoDbStateStore({
    tableName: required(env, ENV.stateTableName),
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 6 }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  });
  let sns: SNSClient | undefined;
  const snsNotifier = (topicArn: string) =>
    new SnsNotifier({ topicArn, client: (sns ??= new SNSClient({ maxAttempts: 4 })) });
  const notifier = overrides.notifier ?? snsNotifier(required(env, ENV.alertTopicArn));
  const opsTopicArn = env[ENV.opsTopicArn];
  const opsNotifier =
    overrides.opsNotifier ?? (opsTopicArn ? snsNotifier(opsTopicArn) : (overrides.notifier ?? notifier));
  return { store, notifier, opsNotifier, logger };
}

/**
 * Adds the validated config and the Plivo connection. The credentials are not read here: each
 * run reads the current ones (see PlivoConnection), so a rotated secret reaches a warm container.
 */
export async function createRuntime(
  infra: PollerInfrastructure,
  overrides: RuntimeOverrides = {},
): Promise<PollerRuntime> {
  const env = overrides.env ?? process.env;
  const config = loadConfigFile(required(env, ENV.alertConfigFile));
  const baseUrl = checkPlivoBaseUrl(env[ENV.plivoApiBaseUrl] || DEFAULT_PLIVO_API_BASE_URL);

  let credentials: CredentialsSource;
  const fromEnv = credentialsFromEnv(env);
  if (fromEnv) {
    credentials = new StaticCredentials(fromEnv);
  } else {
    const secretArn = env[ENV.plivoCredentialsSecretArn];
    if (!secretArn) {
      throw new RuntimeConfigError(
        `No Plivo credentials: set ${ENV.plivoAuthId} and ${ENV.plivoAuthToken}, or ${ENV.plivoCredentialsSecretArn}`,
      );
    }
    credentials = new SecretCredentials({ secretArn, client: overrides.secretsManager });
  }

  // One budget for the account, whichever credentials the client of the moment holds.
  const limiter = new RateLimiter({ maxRequests: config.plivo.maxRequestsPer5s });
  const plivo = new PlivoConnection({
    credentials,
    secrets: infra.logger,
    createClient: ({ authId, authToken }) =>
      new PlivoClient({ baseUrl, authId, authToken, config: config.plivo, logger: infra.logger, limiter }),
  });
  return { ...infra, config, plivo };
}
