import { resolve as resolvePath } from 'node:path';
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
  CredentialsMissingError,
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
import { configForAccount, findAccount, messageForAccount, type PlivoAccount } from '../core/accounts';

/** What the poller needs before it reads any config: state, notifiers, logs. */
export interface PollerInfrastructure {
  /** The state of one account (its `poller` key), over the one table. */
  storeFor(poller: string): StateStore;
  notifier: Notifier;
  /** The poller's own health messages (OPS_TOPIC_ARN, else the alert topic). */
  opsNotifier: Notifier;
  logger: JsonLogger;
}

/** Everything one account's runs need, built on its first run in a container and kept. */
export interface AccountRuntime {
  account: PlivoAccount;
  /** The config as this account runs it (its budget and filters, its name in every subject). */
  config: AlertConfig;
  store: StateStore;
  /** The alert and operations channels, naming the account in every message but the default's. */
  notifier: Notifier;
  opsNotifier: Notifier;
  /** The Plivo client for the account's current credentials (never kept for the container's life). */
  plivo: PlivoConnection;
}

/** The validated config, and each account's runtime on demand. */
export interface PollerRuntime {
  config: AlertConfig;
  /**
   * The runtime of the account an invocation names (`undefined`: the default account). Throws
   * UnknownAccountError for an account the config does not list, RuntimeConfigError when the
   * environment has no credentials for it; a failed build is not kept.
   */
  forAccount(requested: unknown): AccountRuntime;
}

/** What the local runner and tests swap; everything else comes from the environment. */
export interface RuntimeOverrides {
  env?: NodeJS.ProcessEnv;
  notifier?: Notifier;
  opsNotifier?: Notifier;
  logger?: JsonLogger;
  /** Reads the credentials secrets (default: a new client; tests pass a mocked one). */
  secretsManager?: SecretsManagerClient;
  /** Where CloudWatch EMF metric lines go (default: the logger's stdout). */
  writeMetrics?: (line: string) => void;
}

/** The `service` of the poller's log lines. */
export const POLLER_SERVICE_NAME = 'zentrunk-alerts-poller';

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
  const logger = overrides.logger ?? new JsonLogger({ serviceName: POLLER_SERVICE_NAME });
  const tableName = required(env, ENV.stateTableName);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 6 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const stores = new Map<string, StateStore>();
  const storeFor = (poller: string): StateStore => {
    let store = stores.get(poller);
    if (!store) {
      store = new DynamoDbStateStore({ tableName, client, poller });
      stores.set(poller, store);
    }
    return store;
  };
  let sns: SNSClient | undefined;
  const snsNotifier = (topicArn: string) =>
    new SnsNotifier({ topicArn, client: (sns ??= new SNSClient({ maxAttempts: 4 })) });
  const notifier = overrides.notifier ?? snsNotifier(required(env, ENV.alertTopicArn));
  const opsTopicArn = env[ENV.opsTopicArn];
  const opsNotifier =
    overrides.opsNotifier ?? (opsTopicArn ? snsNotifier(opsTopicArn) : (overrides.notifier ?? notifier));
  return { storeFor, notifier, opsNotifier, logger };
}

/** A channel whose every message names the account (nothing changes for the default account). */
export function notifierForAccount(account: PlivoAccount, notifier: Notifier): Notifier {
  if (account.isDefault) return notifier;
  return { publish: (message) => notifier.publish(messageForAccount(account, message)) };
}

/**
 * `PLIVO_ACCOUNT_SECRET_ARNS`: the credentials secret of each account but the default one, by
 * name (ARNs only, never a value). Read when an account's first run needs it.
 */
export function accountSecretArns(env: NodeJS.ProcessEnv): Record<string, string> {
  const raw = env[ENV.plivoAccountSecretArns];
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new RuntimeConfigError(
      `${ENV.plivoAccountSecretArns} is not JSON; expected {"<account>": "<secret ARN>"}`,
    );
  }
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((arn) => typeof arn !== 'string' || arn === '')
  ) {
    throw new RuntimeConfigError(`${ENV.plivoAccountSecretArns} must map account names to secret ARNs`);
  }
  return parsed as Record<string, string>;
}

/**
 * Where one account's credentials come from: PLIVO_AUTH_ID + PLIVO_AUTH_TOKEN when set (local
 * use: every account), else its secret: PLIVO_CREDENTIALS_SECRET_ARN for the default account,
 * its entry in PLIVO_ACCOUNT_SECRET_ARNS for any other.
 */
function credentialsFor(
  account: PlivoAccount,
  env: NodeJS.ProcessEnv,
  overrides: RuntimeOverrides,
): CredentialsSource {
  const fromEnv = credentialsFromEnv(env);
  if (fromEnv) return new StaticCredentials(fromEnv);
  const secretArn = account.isDefault
    ? env[ENV.plivoCredentialsSecretArn]
    : accountSecretArns(env)[account.name];
  if (!secretArn) {
    throw new CredentialsMissingError(
      account.isDefault
        ? `No Plivo credentials: set ${ENV.plivoAuthId} and ${ENV.plivoAuthToken}, or ${ENV.plivoCredentialsSecretArn}`
        : `No Plivo credentials for account "${account.name}": ${ENV.plivoAccountSecretArns} has no secret for it ` +
            '(deploy the stack from the config that lists the account)',
    );
  }
  return new SecretCredentials({ secretArn, client: overrides.secretsManager });
}

/**
 * Adds the validated config; each account's runtime (state, channels, Plivo connection) is
 * built on its first run. The credentials are not read here: each run reads the current ones
 * (see PlivoConnection), so a rotated secret reaches a warm container, account by account.
 */
export async function createRuntime(
  infra: PollerInfrastructure,
  overrides: RuntimeOverrides = {},
): Promise<PollerRuntime> {
  const env = overrides.env ?? process.env;
  // A relative path is the bundle's own file (the stack's): under the task root Lambda names.
  const config = loadConfigFile(resolvePath(env.LAMBDA_TASK_ROOT ?? '.', required(env, ENV.alertConfigFile)));
  const baseUrl = checkPlivoBaseUrl(env[ENV.plivoApiBaseUrl] || DEFAULT_PLIVO_API_BASE_URL);
  const built = new Map<string, AccountRuntime>();

  const build = (account: PlivoAccount): AccountRuntime => {
    const credentials = credentialsFor(account, env, overrides);
    // One budget per account, whichever credentials the client of the moment holds.
    const limiter = new RateLimiter({ maxRequests: account.plivo.maxRequestsPer5s });
    const plivo = new PlivoConnection({
      credentials,
      secrets: infra.logger,
      createClient: ({ authId, authToken }) =>
        new PlivoClient({ baseUrl, authId, authToken, config: account.plivo, logger: infra.logger, limiter }),
    });
    return {
      account,
      config: configForAccount(config, account),
      store: infra.storeFor(account.poller),
      notifier: notifierForAccount(account, infra.notifier),
      opsNotifier: notifierForAccount(account, infra.opsNotifier),
      plivo,
    };
  };

  return {
    config,
    forAccount(requested) {
      const account = findAccount(config, requested);
      let runtime = built.get(account.name);
      if (!runtime) {
        runtime = build(account);
        built.set(account.name, runtime);
      }
      return runtime;
    },
  };
}
