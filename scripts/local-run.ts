/**
 * `npm start`: the real poller handler on a laptop, no accounts needed.
 *
 * By default it starts an embedded Plivo sandbox (seeded traffic with incidents) and an
 * embedded DynamoDB-compatible server, then runs the handler now and on a schedule, printing
 * each alert. Environment variables switch each piece to the real thing:
 *   PLIVO_AUTH_ID + PLIVO_AUTH_TOKEN  poll the real Plivo API (PLIVO_API_BASE_URL to override)
 *   STATE_TABLE_NAME                  use that table (endpoint from AWS_ENDPOINT_URL_DYNAMODB or AWS)
 *   ALERT_TOPIC_ARN                   publish to that SNS topic instead of printing
 */
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConsoleNotifier } from '../functions/adapters/console/console-notifier';
import { createStateTable } from '../functions/adapters/dynamodb/create-state-table';
import { JsonLogger } from '../functions/adapters/logging/json-logger';
import type { PollSummary } from '../functions/core/poll/poll-use-case';
import { ENV } from '../functions/poller/environment';
import { createPollHandler } from '../functions/poller/handler';
import { startLocalDynamoDb } from '../sandbox/local-dynamodb';
import { startPlivoSandbox } from '../sandbox/plivo-sandbox';
import { demoTraffic, generateTraffic } from '../sandbox/traffic';

export const SANDBOX_AUTH_ID = 'MADEMO0000000000SANDBOX';
export const SANDBOX_AUTH_TOKEN = 'sandbox-token-not-a-secret';

const USAGE = `Usage: npm start -- [options]

  --once               run one poll and exit (exit code 1 if the run failed)
  --runs <n>           run n polls, then exit
  --interval <sec>     seconds between runs (default 60)
  --config <file>      alert config (default config/dev.json; ALERT_CONFIG_FILE also works)
  --json               print alerts as JSON lines instead of text
  --logs               also print the poller's structured JSON logs (stderr)
  --help               this text`;

export interface LocalRunOptions {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** Where alerts and run summaries go (default stdout). */
  out?: (text: string) => void;
  /** Where JSON logs go when --logs is given (default stderr). */
  err?: (text: string) => void;
  /** Stop a scheduled loop (tests, Ctrl-C). */
  signal?: AbortSignal;
}

export interface LocalRunResult {
  summaries: PollSummary[];
  failures: number;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      once: { type: 'boolean', default: false },
      runs: { type: 'string' },
      interval: { type: 'string', default: '60' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      logs: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval < 1)
    throw new Error(`--interval must be a number of seconds >= 1`);
  const runs = values.once ? 1 : values.runs === undefined ? Number.POSITIVE_INFINITY : Number(values.runs);
  if (!(runs >= 1)) throw new Error('--runs must be a number >= 1');
  return { ...values, interval, runs };
}

function oneLine(summary: PollSummary): string {
  const w = summary.window ? `${summary.window.from} -> ${summary.window.to}` : 'no window';
  return (
    `run ${summary.status}: window ${w} | calls ${summary.callsSeen} | insights ${summary.insightsFetched} fetched, ` +
    `${summary.insightsNotReady} not ready | findings ${summary.findings} | alerts sent ${summary.alertsPublished}, ` +
    `duplicates suppressed ${summary.duplicatesSuppressed} | records skipped ${summary.recordsSkipped} | ${summary.durationMs} ms`
  );
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      done();
    });
  });

export async function localRun(options: LocalRunOptions): Promise<LocalRunResult> {
  const args = parse(options.argv);
  const out = options.out ?? ((text: string) => process.stdout.write(`${text}\n`));
  const err = options.err ?? ((text: string) => process.stderr.write(`${text}\n`));
  if (args.help) {
    out(USAGE);
    return { summaries: [], failures: 0 };
  }
  const parentEnv = options.env ?? process.env;
  const env: NodeJS.ProcessEnv = { ...parentEnv };
  const cleanups: Array<() => Promise<void>> = [];
  const describe: string[] = [];

  try {
    env[ENV.alertConfigFile] = resolve(args.config ?? parentEnv[ENV.alertConfigFile] ?? 'config/dev.json');
    describe.push(`config ${env[ENV.alertConfigFile]}`);

    let sandbox: Awaited<ReturnType<typeof startPlivoSandbox>> | undefined;
    if (parentEnv[ENV.plivoAuthId] && parentEnv[ENV.plivoAuthToken]) {
      describe.push(`Plivo API ${parentEnv[ENV.plivoApiBaseUrl] || 'https://api.plivo.com'} (your account)`);
    } else {
      sandbox = await startPlivoSandbox({
        authId: SANDBOX_AUTH_ID,
        authToken: SANDBOX_AUTH_TOKEN,
        calls: demoTraffic(new Date()),
      });
      cleanups.push(() => sandbox?.close() ?? Promise.resolve());
      env[ENV.plivoApiBaseUrl] = sandbox.baseUrl;
      env[ENV.plivoAuthId] = SANDBOX_AUTH_ID;
      env[ENV.plivoAuthToken] = SANDBOX_AUTH_TOKEN;
      delete env[ENV.plivoCredentialsSecretArn];
      describe.push(`Plivo sandbox ${sandbox.baseUrl} (seeded demo traffic)`);
    }

    if (!parentEnv[ENV.stateTableName]) {
      const dynamo = await startLocalDynamoDb();
      cleanups.push(() => dynamo.close());
      env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
      // dynalite accepts any credentials; these keep the SDK from looking for real ones.
      env.AWS_REGION ??= 'us-east-1';
      env.AWS_ACCESS_KEY_ID = 'local';
      env.AWS_SECRET_ACCESS_KEY = 'local';
      env[ENV.stateTableName] = 'zentrunk-alerts-local';
      await withEnv(env, () => createStateTable(new DynamoDBClient({}), env[ENV.stateTableName] as string));
      describe.push(`DynamoDB (embedded dynalite) ${dynamo.endpoint}, table ${env[ENV.stateTableName]}`);
    } else {
      describe.push(`DynamoDB table ${env[ENV.stateTableName]}`);
    }

    const printAlerts = !parentEnv[ENV.alertTopicArn];
    const consoleNotifier = new ConsoleNotifier({ format: args.json ? 'jsonl' : 'text', write: out });
    describe.push(
      printAlerts ? 'alerts printed here' : `alerts published to ${parentEnv[ENV.alertTopicArn]}`,
    );

    const logger = new JsonLogger({
      context: { service: 'zentrunk-alerts-poller', local: true },
      write: args.logs ? err : () => {},
    });
    const handler = createPollHandler({
      env,
      logger,
      notifier: printAlerts ? consoleNotifier : undefined,
      opsNotifier: printAlerts ? consoleNotifier : undefined,
      writeMetrics: () => {},
    });

    if (!args.json) out(`zentrunk-alerts local run\n  ${describe.join('\n  ')}\n`);

    const summaries: PollSummary[] = [];
    let failures = 0;
    let lastTick = new Date();
    for (let run = 1; run <= args.runs && !options.signal?.aborted; run += 1) {
      if (run > 1) {
        await sleep(args.interval * 1000, options.signal);
        if (options.signal?.aborted) break;
        // The sandbox keeps taking calls, so later runs have new traffic to look at.
        const now = new Date();
        sandbox?.addCalls(generateTraffic({ seed: run, from: lastTick, to: now, callsPerMinute: 6 }));
        lastTick = now;
      }
      const timeoutMs = 240_000;
      const started = Date.now();
      if (!args.json)
        out(`run ${run}: polling (rate-limited as deployed, so a first run takes a few seconds)...`);
      try {
        const summary = await withEnv(env, () =>
          handler(
            { 'detail-type': 'Scheduled Event', source: 'local', time: new Date().toISOString() },
            {
              awsRequestId: randomUUID(),
              getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
            },
          ),
        );
        summaries.push(summary);
        if (args.json) err(oneLine(summary));
        else out(oneLine(summary));
      } catch (error) {
        failures += 1;
        const message = logger.scrubText((error as Error).message);
        (args.json ? err : out)(`run failed: ${(error as Error).name}: ${message}`);
      }
    }
    return { summaries, failures };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

/**
 * The AWS SDK reads endpoints, region and credentials from process.env when a client is
 * created; the local run builds its clients inside this scope so that they see its settings.
 */
async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const keys = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
  const saved = new Map(keys.map((k) => [k, process.env[k]]));
  for (const k of keys) {
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// Run only as a script (tsx), not when a test imports this module.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  localRun({ argv: process.argv.slice(2), signal: controller.signal }).then(
    ({ failures }) => {
      process.exitCode = failures > 0 ? 1 : 0;
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    },
  );
}
