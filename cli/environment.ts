/**
 * Where the CLI's config, calls, state and notifications come from — the same environment
 * variables as `npm start` and the Lambda:
 *
 *   config   --config FILE, else ALERT_CONFIG_FILE, else the config a running `npm start` uses,
 *            else the shipped config/dev.json
 *   Plivo    PLIVO_AUTH_ID + PLIVO_AUTH_TOKEN (PLIVO_API_BASE_URL), else a running `npm start`'s
 *            sandbox, else a sandbox of its own (seeded demo traffic, or the seasonal demo)
 *   state    STATE_TABLE_NAME (AWS_ENDPOINT_URL_DYNAMODB or AWS credentials), else a running
 *            `npm start`'s embedded table
 *   alerts   ALERT_TOPIC_ARN (AWS credentials), else printed here
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { ConsoleNotifier } from '../functions/adapters/console/console-notifier';
import { DynamoDbStateStore } from '../functions/adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../functions/adapters/logging/json-logger';
import { PlivoClient } from '../functions/adapters/plivo/plivo-client';
import { SnsNotifier } from '../functions/adapters/sns/sns-notifier';
import { readConfigJson } from '../functions/core/config/load-config';
import { DEFAULT_SCHEDULE_MINUTES } from '../lib/config/deployment-schema';
import { loadRuntimeConfigFile } from '../lib/config/project-config';
import type { AlertConfig } from '../functions/core/config/schema';
import type { Logger, Notifier } from '../functions/core/ports';
import { DEFAULT_PLIVO_API_BASE_URL, ENV } from '../functions/core/contract';
import { checkPlivoBaseUrl } from '../functions/poller/runtime';
import { demoHistory, DEMO_HISTORY_HOURS, type DemoTrafficKind } from '../sandbox/demo-history';
import { describeSeasonalEvents, SEASONAL_DEMO_DAYS, seasonalDemo } from '../sandbox/seasonal-traffic';
import { startPlivoSandbox } from '../sandbox/plivo-sandbox';
import {
  LOCAL_RUN_FILE,
  type LocalRunAnnouncement,
  SANDBOX_AUTH_ID,
  SANDBOX_AUTH_TOKEN,
} from '../scripts/local-run';
import { findAccount, accountsOf, type PlivoAccount, UnknownAccountError } from '../functions/core/accounts';
import { type CommandContext, stringOption } from './command';
import { CliError, CliUsageError, EXIT } from './errors';
import type { CliIo } from './io';

/** The repository's own config/dev.json: what runs when no config is named. */
export const SHIPPED_CONFIG = join(import.meta.dirname, '..', 'config', 'dev.json');

/** A running `npm start` in this directory (its process is alive), or null. */
export function runningLocalRun(io: CliIo): LocalRunAnnouncement | null {
  const file = join(io.cwd, LOCAL_RUN_FILE);
  if (!existsSync(file)) return null;
  try {
    const announcement = JSON.parse(readFileSync(file, 'utf8')) as LocalRunAnnouncement;
    process.kill(announcement.pid, 0);
    return announcement;
  } catch {
    return null; // unreadable, or left behind by a process that is gone
  }
}

export interface CliConfig {
  file: string;
  config: AlertConfig;
  /** deployment.scheduleMinutes of a stage file (its default otherwise): how often the poller runs. */
  scheduleMinutes: number;
}

/** Loads and validates a config the way the poller does (a stage file or a runtime config). */
export function loadCliConfig(io: CliIo, file: string | undefined): CliConfig {
  const path = resolve(
    io.cwd,
    file ?? io.env[ENV.alertConfigFile] ?? runningLocalRun(io)?.configFile ?? SHIPPED_CONFIG,
  );
  const config = loadRuntimeConfigFile(path);
  const raw = readConfigJson(path) as { deployment?: { scheduleMinutes?: unknown } };
  const schedule = raw?.deployment?.scheduleMinutes;
  return {
    file: path,
    config,
    scheduleMinutes: typeof schedule === 'number' ? schedule : DEFAULT_SCHEDULE_MINUTES,
  };
}

const quietLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface PlivoAccess {
  client: PlivoClient;
  /** "Plivo API https://api.plivo.com", "Plivo sandbox http://127.0.0.1:…" */
  where: string;
  /** The sandbox's own limit is not shared with anyone: the full 300 requests per 5 s may be used. */
  isSandbox: boolean;
  /** A sandbox's injected events (seasonal traffic), one line each; [] otherwise. */
  events: string[];
  close(): Promise<void>;
}

/**
 * A Plivo client for the account in the environment, else for a sandbox (npm start's, or one
 * of our own with `seed`'s demo traffic, or `traffic` 'seasonal': the seasonal demo's 14 days).
 * `rate` overrides plivo.maxRequestsPer5s. A `traffic` that npm start's sandbox does not serve
 * is a usage error.
 */
export async function openPlivo(
  io: CliIo,
  config: AlertConfig,
  options: { seed?: number; rate?: number; traffic?: DemoTrafficKind } = {},
): Promise<PlivoAccess> {
  const env = io.env;
  const plivoConfig = (maxRequestsPer5s: number) => ({ ...config.plivo, maxRequestsPer5s });
  if (env[ENV.plivoAuthId] || env[ENV.plivoAuthToken]) {
    if (!env[ENV.plivoAuthId] || !env[ENV.plivoAuthToken]) {
      throw new CliError(
        `Only one of ${ENV.plivoAuthId} and ${ENV.plivoAuthToken} is set`,
        EXIT.setup,
        'Set both (Plivo console > Overview: Auth ID and Auth Token), or neither to use the sandbox.',
      );
    }
    let baseUrl: string;
    try {
      baseUrl = checkPlivoBaseUrl(env[ENV.plivoApiBaseUrl] || DEFAULT_PLIVO_API_BASE_URL);
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.setup);
    }
    const logger = new JsonLogger({ write: () => {} });
    logger.addSecret(env[ENV.plivoAuthToken] as string);
    return {
      client: new PlivoClient({
        baseUrl,
        authId: env[ENV.plivoAuthId] as string,
        authToken: env[ENV.plivoAuthToken] as string,
        config: plivoConfig(options.rate ?? config.plivo.maxRequestsPer5s),
        logger,
      }),
      where: `Plivo API ${baseUrl}`,
      isSandbox: /^http:\/\/127\.0\.0\.1/.test(baseUrl),
      events: [],
      close: async () => {},
    };
  }
  if (env[ENV.plivoCredentialsSecretArn]) {
    throw new CliError(
      `The CLI reads Plivo credentials from ${ENV.plivoAuthId} and ${ENV.plivoAuthToken}, not from ${ENV.plivoCredentialsSecretArn}`,
      EXIT.setup,
      `Export them for this shell, e.g.\n  eval "$(aws secretsmanager get-secret-value --secret-id "$${ENV.plivoCredentialsSecretArn}" --query SecretString --output text | jq -r '"export PLIVO_AUTH_ID=\\(.authId) PLIVO_AUTH_TOKEN=\\(.authToken)"')"\nor unset ${ENV.plivoCredentialsSecretArn} to use the sandbox.`,
    );
  }
  const sandboxClient = (baseUrl: string) =>
    new PlivoClient({
      baseUrl,
      authId: SANDBOX_AUTH_ID,
      authToken: SANDBOX_AUTH_TOKEN,
      config: plivoConfig(options.rate ?? 300),
      logger: quietLogger,
    });
  const local = runningLocalRun(io);
  if (local?.plivo) {
    const serves = local.traffic ?? 'demo';
    if (options.traffic !== undefined && options.traffic !== serves) {
      throw new CliUsageError(
        `npm start (pid ${local.pid}) is running with ${serves} traffic, and the CLI uses its sandbox: ` +
          `start it with \`npm start -- --traffic ${options.traffic}\`, or stop it for a sandbox of the CLI's own`,
      );
    }
    return {
      client: sandboxClient(local.plivo.baseUrl),
      where: `the Plivo sandbox of npm start (pid ${local.pid}) ${local.plivo.baseUrl}`,
      isSandbox: true,
      events: local.events ?? [],
      close: async () => {},
    };
  }
  const seed = options.seed ?? 1;
  const seasonal = options.traffic === 'seasonal' ? seasonalDemo(io.now(), seed) : null;
  const sandbox = await startPlivoSandbox({
    authId: SANDBOX_AUTH_ID,
    authToken: SANDBOX_AUTH_TOKEN,
    calls: seasonal ? seasonal.calls : demoHistory(io.now(), seed),
  });
  const traffic = seasonal
    ? `seasonal demo traffic of the last ${SEASONAL_DEMO_DAYS} days`
    : `demo traffic of the last ${DEMO_HISTORY_HOURS} h`;
  return {
    client: sandboxClient(sandbox.baseUrl),
    where: `a Plivo sandbox (${traffic}, seed ${seed}; set ${ENV.plivoAuthId} and ${ENV.plivoAuthToken} for your account)`,
    isSandbox: true,
    events: seasonal ? describeSeasonalEvents(seasonal.events) : [],
    close: () => sandbox.close(),
  };
}

export interface StateAccess {
  store: DynamoDbStateStore;
  /** "table zentrunk-alerts-dev", "npm start's embedded table …" */
  where: string;
  close(): void;
}

/** The `--account` option of the commands that read the poller's state. */
export const ACCOUNT_OPTION = { account: { type: 'string' } } as const;
export const ACCOUNT_USAGE =
  '  --account <name> the Plivo account whose state to read (one the config lists; default: the default account)';

/**
 * The account `--account` names (absent: the default account), checked against the config, so
 * a typo never reads (or writes) the empty state of an account nobody polls.
 */
export function accountOption(ctx: CommandContext, cli: CliConfig): PlivoAccount {
  const requested = stringOption(ctx, 'account');
  try {
    return findAccount(cli.config, requested);
  } catch (error) {
    if (!(error instanceof UnknownAccountError)) throw error;
    const names = accountsOf(cli.config).map((account) => account.name);
    throw new CliUsageError(
      requested === undefined
        ? `${cli.file} does not watch the default account: name one with --account (${names.join(', ')})`
        : `${cli.file} watches no account "${requested}" (it watches ${names.join(', ')}); ` +
            "give the stage's config with --config",
    );
  }
}

/**
 * The poller's state table, or null when none is configured and no `npm start` is running.
 * `account`: whose state (default: the default account's).
 */
export function openStateStore(io: CliIo, account?: PlivoAccount): StateAccess | null {
  const poller = account?.poller;
  const ofAccount = account && !account.isDefault ? `, account ${account.name}` : '';
  const table = io.env[ENV.stateTableName];
  const documentClient = (client: DynamoDBClient) =>
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  if (table) {
    // The SDK reads the endpoint, region and credentials from the environment we were given.
    const endpoint = io.env.AWS_ENDPOINT_URL_DYNAMODB ?? io.env.AWS_ENDPOINT_URL;
    const region = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    const keys = credentialsFrom(io.env);
    const client = new DynamoDBClient({ maxAttempts: 3, endpoint, region, ...keys });
    return {
      store: new DynamoDbStateStore({
        tableName: table,
        client: documentClient(client),
        now: () => io.now().getTime(),
        poller,
      }),
      where: `table ${table}${endpoint ? ` at ${endpoint}` : ''}${ofAccount}`,
      close: () => client.destroy(),
    };
  }
  const local = runningLocalRun(io);
  if (local?.dynamo) {
    const client = new DynamoDBClient({
      endpoint: local.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 2,
    });
    return {
      store: new DynamoDbStateStore({
        tableName: local.dynamo.tableName,
        client: documentClient(client),
        now: () => io.now().getTime(),
        poller,
      }),
      where: `the embedded table of npm start (pid ${local.pid})${ofAccount}`,
      close: () => client.destroy(),
    };
  }
  return null;
}

/** The state table, or a setup error that says how to name one. */
export function requireStateStore(io: CliIo, what: string, account?: PlivoAccount): StateAccess {
  const state = openStateStore(io, account);
  if (state) return state;
  throw new CliError(
    `${what} needs the poller's state table, and none is set`,
    EXIT.setup,
    `Set ${ENV.stateTableName} (the StateTableName output of the stack; AWS credentials as for the aws CLI),\n` +
      `or run \`npm start\` in another terminal of this directory: the CLI then uses its embedded table.`,
  );
}

export interface NotifierAccess {
  notifier: Notifier;
  /** "SNS topic arn:…", or "printed here" */
  where: string;
  printed: boolean;
}

/** SNS when a topic is given (ALERT_TOPIC_ARN or `topic`), else the terminal. */
export function openNotifier(io: CliIo, topic: string | undefined): NotifierAccess {
  const topicArn = topic ?? io.env[ENV.alertTopicArn];
  if (!topicArn) {
    return {
      notifier: new ConsoleNotifier({ format: 'text', write: (text) => io.out(text) }),
      where: `printed here (no ${ENV.alertTopicArn})`,
      printed: true,
    };
  }
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(topicArn)) {
    throw new CliError(
      `Not an SNS topic ARN: ${topicArn}`,
      EXIT.usage,
      'The AlertTopicArn output of the stack looks like arn:aws:sns:eu-west-1:123456789012:zentrunk-alerts-dev-…',
    );
  }
  const region = topicArn.split(':')[3];
  const endpoint = io.env.AWS_ENDPOINT_URL_SNS ?? io.env.AWS_ENDPOINT_URL;
  const keys = credentialsFrom(io.env);
  const client = new SNSClient({ region, endpoint, maxAttempts: 3, ...keys });
  return {
    notifier: new SnsNotifier({ topicArn, client }),
    where: `SNS topic ${topicArn}`,
    printed: false,
  };
}

/**
 * AWS keys from the environment the CLI was given (tests pass their own, not process.env);
 * none set: the SDK's default chain.
 */
function credentialsFrom(env: NodeJS.ProcessEnv) {
  return env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? {
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          sessionToken: env.AWS_SESSION_TOKEN,
        },
      }
    : {};
}
