import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbStateStore } from '../adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../adapters/logging/json-logger';
import { PlivoClient } from '../adapters/plivo/plivo-client';
import { credentialsFromEnv, credentialsFromSecret } from '../adapters/secrets/plivo-credentials';
import { SnsNotifier } from '../adapters/sns/sns-notifier';
import { loadRuntimeConfigFile } from '../core/config/project-config';
import type { AlertConfig } from '../core/config/schema';
import type { Notifier, StateStore } from '../core/ports';
import { DEFAULT_PLIVO_API_BASE_URL, ENV } from './environment';

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
  source: PlivoClient;
}

/** What the local runner and tests swap; everything else comes from the environment. */
export interface RuntimeOverrides {
  env?: NodeJS.ProcessEnv;
  notifier?: Notifier;
  opsNotifier?: Notifier;
  logger?: JsonLogger;
  /** Where CloudWatch EMF metric lines go (default: the logger's stdout). */
  writeMetrics?: (line: string) => void;
}

export class RuntimeConfigError extends Error {
  override name = 'RuntimeConfigError';
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

/** Adds the validated config and the Plivo client (which may need Secrets Manager). */
export async function createRuntime(
  infra: PollerInfrastructure,
  overrides: RuntimeOverrides = {},
): Promise<PollerRuntime> {
  const env = overrides.env ?? process.env;
  const config = loadRuntimeConfigFile(required(env, ENV.alertConfigFile));
  const baseUrl = checkPlivoBaseUrl(env[ENV.plivoApiBaseUrl] || DEFAULT_PLIVO_API_BASE_URL);

  let credentials = credentialsFromEnv(env);
  if (!credentials) {
    const secretArn = env[ENV.plivoCredentialsSecretArn];
    if (!secretArn) {
      throw new RuntimeConfigError(
        `No Plivo credentials: set ${ENV.plivoAuthId} and ${ENV.plivoAuthToken}, or ${ENV.plivoCredentialsSecretArn}`,
      );
    }
    credentials = await credentialsFromSecret(new SecretsManagerClient({}), secretArn);
  }
  infra.logger.addSecret(credentials.authToken);

  const source = new PlivoClient({
    baseUrl,
    authId: credentials.authId,
    authToken: credentials.authToken,
    config: config.plivo,
    logger: infra.logger,
  });
  return { ...infra, config, source };
}
