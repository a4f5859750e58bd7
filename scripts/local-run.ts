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
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { dirname, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConsoleNotifier } from '../functions/adapters/console/console-notifier';
import { createStateTable } from '../functions/adapters/dynamodb/create-state-table';
import { JsonLogger } from '../functions/adapters/logging/json-logger';
import { loadRuntimeConfigFile } from '../lib/config/project-config';
import type { PollSummary } from '../functions/core/poll/poll-use-case';
import { incidentNoticesOf } from '../functions/core/poll/run-context';
import { ENV } from '../functions/core/contract';
import { createPollHandler } from '../functions/poller/handler';
import { localLambdaContext } from '../functions/poller/local-context';
import { POLLER_SERVICE_NAME } from '../functions/poller/runtime';
import { startLocalDynamoDb } from '../sandbox/local-dynamodb';
import { startPlivoSandbox } from '../sandbox/plivo-sandbox';
import { type DemoTrafficKind, isDemoTrafficKind } from '../sandbox/demo-history';
import {
  describeSeasonalEvents,
  SEASONAL_DEMO_DAYS,
  seasonalDemo,
  seasonalTraffic,
} from '../sandbox/seasonal-traffic';
import { demoTraffic, type SandboxCall, seededTraffic } from '../sandbox/traffic';
import { exitQuietlyOnClosedPipe, reportScriptError, scriptArgs, UsageError } from './script-args';

export const SANDBOX_AUTH_ID = 'MADEMO0000000000SANDBOX';
export const SANDBOX_AUTH_TOKEN = 'sandbox-token-not-a-secret';

/** Where `npm start` tells the on-call CLI about its sandbox and table while it runs. */
export const LOCAL_RUN_FILE = '.local-state/npm-start.json';

export const USAGE = `Usage: npm start -- [options]

  --once               run one poll and exit (exit code 1 if the run failed)
  --runs <n>           run n polls, then exit
  --interval <sec>     seconds between runs (default 60)
  --config <file>      alert config (default config/dev.json; ALERT_CONFIG_FILE also works)
  --seed <n>           demo traffic seed (default 1): the same seed gives the same calls every time
  --traffic <name>     the sandbox's traffic: demo (default; an incident for every rule) or
                       seasonal (${SEASONAL_DEMO_DAYS} days with a weekly rhythm per trunk and four volume and
                       spend events, listed at the start: a stop, a drop, a decline, a burst of
                       premium-rate calls)
  --json               print alerts as JSON lines instead of text (summaries go to stderr)
  --logs               also print the poller's structured JSON logs (stderr)
  --help               this text

While it runs, \`npx zentrunk-alerts status\`, \`silence add\` and \`explain\` in another terminal
use its sandbox and state table.`;

/** What `npm start` announces to the CLI (the sandbox's fake demo credentials are not secrets). */
export interface LocalRunAnnouncement {
  pid: number;
  startedAt: string;
  configFile: string;
  seed: number;
  /** The sandbox's traffic (absent: written before there was a choice, 'demo'). */
  traffic?: DemoTrafficKind;
  /** The injected events of seasonal traffic, one line each (describeSeasonalEvents). */
  events?: string[];
  plivo: { baseUrl: string; authId: string; authToken: string } | null;
  dynamo: { endpoint: string; tableName: string } | null;
}

export interface LocalRunOptions {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** Where alerts and run summaries go (default stdout). */
  out?: (text: string) => void;
  /** Where JSON logs go when --logs is given (default stderr). */
  err?: (text: string) => void;
  /** Stop a scheduled loop (tests, Ctrl-C). */
  signal?: AbortSignal;
  /** A terminal: progress and countdown lines are redrawn in place (default: stdout is a TTY). */
  tty?: boolean;
  /** Writes without a newline, for the redrawn line (default stdout). */
  write?: (text: string) => void;
  /** Write the announcement for the CLI here while running (the script: LOCAL_RUN_FILE). */
  announceFile?: string;
  /** The clock of the progress line and the countdown between runs (tests: simulated time). */
  clock?: LocalRunClock;
}

/** What the progress line and the countdown read the time and wait with. */
export interface LocalRunClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(timer: unknown): void;
}

const REAL_CLOCK: LocalRunClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout),
};

export interface LocalRunResult {
  summaries: PollSummary[];
  failures: number;
  /** True when the loop ended because it was told to stop (Ctrl-C). */
  stopped: boolean;
}

function parse(argv: string[]) {
  const values = scriptArgs(
    {
      once: { type: 'boolean', default: false },
      runs: { type: 'string' },
      interval: { type: 'string', default: '60' },
      config: { type: 'string' },
      seed: { type: 'string', default: '1' },
      traffic: { type: 'string', default: 'demo' },
      json: { type: 'boolean', default: false },
      logs: { type: 'boolean', default: false },
    },
    argv,
  );
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval < 1)
    throw new UsageError(`--interval must be a number of seconds >= 1`);
  const runs = values.once ? 1 : values.runs === undefined ? Number.POSITIVE_INFINITY : Number(values.runs);
  if (!(runs >= 1)) throw new UsageError('--runs must be a number >= 1');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed must be a whole number >= 0');
  const traffic = values.traffic;
  if (!isDemoTrafficKind(traffic))
    throw new UsageError(`--traffic must be demo or seasonal (got "${traffic}")`);
  return { ...values, interval, runs, seed, traffic };
}

/** One line, for --json (on stderr) and logs. */
function oneLine(summary: PollSummary): string {
  const w = summary.readRange ? `${summary.readRange.from} -> ${summary.readRange.to}` : 'no window';
  return (
    `run ${summary.status}: window ${w} | calls ${summary.callsSeen} | insights ${summary.insightsFetched} fetched, ` +
    `${summary.insightsNotReady} not ready | findings ${summary.findings} | alerts sent ${summary.alertsPublished}, ` +
    `duplicates suppressed ${summary.duplicatesSuppressed} | records skipped ${summary.recordsSkipped} | ${summary.durationMs} ms`
  );
}

const hhmmss = (iso: string) => `${iso.slice(11, 19)}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The run summary for people: every number says what it counts. */
export function explainSummary(run: number, s: PollSummary): string {
  if (s.status === 'skipped-lease-held') {
    return `run ${run} skipped: another run held the lease (two runs never work at once)`;
  }
  const lines = [
    `run ${run} ${s.status} in ${seconds(s.durationMs)}: calls that ended ${
      s.readRange ? `${hhmmss(s.readRange.from)} -> ${hhmmss(s.readRange.to)} UTC` : '(no window)'
    }${s.firstRun && s.readRange ? ` (the first run looks back ${Math.round((Date.parse(s.readRange.to) - Date.parse(s.readRange.from)) / 60_000)} min)` : ''}`,
    `  calls     ${s.callsSeen} listed by Plivo${
      s.callsAlreadyEvaluated > 0
        ? `, ${s.callsAlreadyEvaluated} already judged by an earlier run (the overlap)`
        : ''
    }${s.pendingRetried > 0 ? `, ${s.pendingRetried} waiting for insights looked at again` : ''}`,
    `  insights  ${s.insightsFetched} fetched, ${s.insightsNotReady} not ready yet (Plivo answers 404 until it has them; asked again next run)${
      s.insightsGaveUp > 0 ? `, ${s.insightsGaveUp} never came (judged on the CDR alone)` : ''
    }${s.insightsErrors > 0 ? `, ${s.insightsErrors} requests failed (retried next run)` : ''}`,
    `  findings  ${s.findings} (a rule tripped by a call)${
      s.findingsGrouped > 0 ? `: ${s.findingsGrouped} joined incidents (grouping)` : ''
    }`,
    `  sent      ${plural(s.alertsPublished, 'notification')}${
      incidentNoticesOf(s) > 0 ? ` (${incidentNoticesOf(s)} about incidents)` : ''
    }; ${s.alertsSilenced} silenced (recorded, not sent); ${s.duplicatesSuppressed} already sent by an earlier run${
      s.catchUpSummaries > 0 ? `; ${s.findingsSummarized} folded into a catch-up summary` : ''
    }${s.publishFailures > 0 ? `; ${s.publishFailures} could not be sent (retried next run)` : ''}`,
  ];
  if (s.recordsSkipped > 0) {
    lines.push(
      `  skipped   ${plural(s.recordsSkipped, 'record')} Plivo returned in a form that could not be read (no call_uuid, a bad end_time); --logs shows each`,
    );
  }
  return lines.join('\n');
}

/** A status line redrawn in place on a terminal; nothing elsewhere. */
class StatusLine {
  private shown = false;
  constructor(
    private readonly tty: boolean,
    private readonly write: (text: string) => void,
  ) {}
  show(text: string): void {
    if (!this.tty) return;
    this.write(`\r\x1b[2K${text}`);
    this.shown = true;
  }
  clear(): void {
    if (!this.shown) return;
    this.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** Waits `ms`, calling `tick` with the seconds left once a second; ends early on abort. */
function countdown(
  clock: LocalRunClock,
  ms: number,
  signal: AbortSignal | undefined,
  tick: (secondsLeft: number) => void,
) {
  return new Promise<void>((done) => {
    const end = clock.now() + ms;
    let timer: unknown;
    const finish = () => {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    };
    const step = () => {
      const left = end - clock.now();
      if (left <= 0) return finish();
      tick(Math.ceil(left / 1000));
      timer = clock.setTimeout(step, Math.min(1000, left));
    };
    if (signal?.aborted) return finish();
    signal?.addEventListener('abort', finish);
    step();
  });
}

/** What the sandbox serves at the start: the calls, how to name them, and their events (lines). */
export function sandboxTraffic(
  kind: DemoTrafficKind,
  now: Date,
  seed: number,
): { calls: SandboxCall[]; label: string; events: string[] } {
  if (kind === 'demo') return { calls: demoTraffic(now, seed), label: 'demo traffic', events: [] };
  const seasonal = seasonalDemo(now, seed);
  return {
    calls: seasonal.calls,
    label: `seasonal demo traffic: ${SEASONAL_DEMO_DAYS} days, ${seasonal.calls.length.toLocaleString('en-US')} calls`,
    events: describeSeasonalEvents(seasonal.events),
  };
}

/**
 * The calls that ended since the last run: demo traffic at 6 a minute with every incident, or
 * the seasonal traffic's own (the same calls as if the first window had been longer).
 */
export function laterTraffic(
  kind: DemoTrafficKind,
  seed: number,
  run: number,
  from: Date,
  to: Date,
): SandboxCall[] {
  return kind === 'demo'
    ? seededTraffic({ seed: seed * 1000 + run, from, to, callsPerMinute: 6 })
    : seasonalTraffic({ seed, from, to, events: 'none' }).calls;
}

export async function localRun(options: LocalRunOptions): Promise<LocalRunResult> {
  const args = parse(options.argv);
  const out = options.out ?? ((text: string) => process.stdout.write(`${text}\n`));
  const err = options.err ?? ((text: string) => process.stderr.write(`${text}\n`));
  if (args.help) {
    out(USAGE);
    return { summaries: [], failures: 0, stopped: false };
  }
  const parentEnv = options.env ?? process.env;
  const clock = options.clock ?? REAL_CLOCK;
  const env: NodeJS.ProcessEnv = { ...parentEnv };
  const cleanups: Array<() => Promise<void>> = [];
  const describe: string[] = [];
  const tty = (options.tty ?? process.stdout.isTTY === true) && !args.json;
  const status = new StatusLine(tty, options.write ?? ((text) => process.stdout.write(text)));
  // Anything printed first clears the redrawn line.
  const print = (text: string) => {
    status.clear();
    out(text);
  };

  // The config is checked before anything starts: a bad one stops here with its error.
  const configFile = resolve(args.config ?? parentEnv[ENV.alertConfigFile] ?? 'config/dev.json');
  const config = loadRuntimeConfigFile(configFile);

  try {
    env[ENV.alertConfigFile] = configFile;
    describe.push(
      `config ${configFile} (${config.grouping.enabled ? `incident mode: grouped by ${config.grouping.groupBy.join(', ')}` : 'one alert per bad call'})`,
    );

    let sandbox: Awaited<ReturnType<typeof startPlivoSandbox>> | undefined;
    let events: string[] = [];
    // The sandbox's calls end before this instant (whole seconds); later runs add those after it.
    let lastTick = new Date(Math.floor(Date.now() / 1000) * 1000);
    if (parentEnv[ENV.plivoAuthId] && parentEnv[ENV.plivoAuthToken]) {
      describe.push(`Plivo API ${parentEnv[ENV.plivoApiBaseUrl] || 'https://api.plivo.com'} (your account)`);
    } else {
      const traffic = sandboxTraffic(args.traffic, lastTick, args.seed);
      events = traffic.events;
      sandbox = await startPlivoSandbox({
        authId: SANDBOX_AUTH_ID,
        authToken: SANDBOX_AUTH_TOKEN,
        calls: traffic.calls,
      });
      cleanups.push(() => sandbox?.close() ?? Promise.resolve());
      env[ENV.plivoApiBaseUrl] = sandbox.baseUrl;
      env[ENV.plivoAuthId] = SANDBOX_AUTH_ID;
      env[ENV.plivoAuthToken] = SANDBOX_AUTH_TOKEN;
      delete env[ENV.plivoCredentialsSecretArn];
      describe.push(`Plivo sandbox ${sandbox.baseUrl} (${traffic.label}, seed ${args.seed})`);
      if (events.length > 0) {
        describe.push(
          `  its events, for the volume and spend rules (\`npx zentrunk-alerts backtest --from … --to …\` replays one):`,
          ...events.map((line) => `    ${line}`),
        );
      }
    }

    let localTable: { endpoint: string; tableName: string } | null = null;
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
      localTable = { endpoint: dynamo.endpoint, tableName: env[ENV.stateTableName] as string };
      describe.push(`DynamoDB (embedded dynalite) ${dynamo.endpoint}, table ${env[ENV.stateTableName]}`);
    } else {
      describe.push(`DynamoDB table ${env[ENV.stateTableName]}`);
    }

    const printAlerts = !parentEnv[ENV.alertTopicArn];
    const consoleNotifier = new ConsoleNotifier({ format: args.json ? 'jsonl' : 'text', write: print });
    describe.push(
      printAlerts ? 'alerts printed here' : `alerts published to ${parentEnv[ENV.alertTopicArn]}`,
    );

    if (options.announceFile) {
      const file = options.announceFile;
      const announcement: LocalRunAnnouncement = {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        configFile,
        seed: args.seed,
        ...(sandbox ? { traffic: args.traffic, events } : {}),
        plivo: sandbox
          ? { baseUrl: sandbox.baseUrl, authId: SANDBOX_AUTH_ID, authToken: SANDBOX_AUTH_TOKEN }
          : null,
        dynamo: localTable,
      };
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(announcement, null, 2)}\n`);
      cleanups.push(async () => rmSync(file, { force: true }));
    }

    const logger = new JsonLogger({
      serviceName: POLLER_SERVICE_NAME,
      context: { local: true },
      write: args.logs ? err : () => {},
    });
    const handler = createPollHandler({
      env,
      logger,
      notifier: printAlerts ? consoleNotifier : undefined,
      opsNotifier: printAlerts ? consoleNotifier : undefined,
      writeMetrics: () => {},
    });

    if (!args.json) print(`zentrunk-alerts local run\n  ${describe.join('\n  ')}\n`);

    const summaries: PollSummary[] = [];
    let failures = 0;
    let run = 1;
    for (; run <= args.runs && !options.signal?.aborted; run += 1) {
      if (run > 1) {
        const waitMs = args.interval * 1000;
        if (tty) {
          await countdown(clock, waitMs, options.signal, (left) =>
            status.show(`next run in ${left} s (Ctrl-C to stop)`),
          );
        } else {
          if (!args.json) print(`next run in ${args.interval} s (Ctrl-C to stop)`);
          await countdown(clock, waitMs, options.signal, () => {});
        }
        if (options.signal?.aborted) break;
        // The sandbox keeps taking calls, so later runs have new traffic to look at.
        const now = new Date();
        sandbox?.addCalls(laterTraffic(args.traffic, args.seed, run, lastTick, now));
        lastTick = now;
      }
      const timeoutMs = 240_000;
      // The handler's deadline is real time; the progress line's seconds are the clock's.
      const started = Date.now();
      const shownFrom = clock.now();
      const requestsBefore = sandbox?.requests.length ?? 0;
      if (!args.json && !tty) {
        print(`run ${run}: polling (rate-limited as deployed, so a first run takes a few seconds)...`);
      }
      const progress = clock.setInterval(() => {
        const requests = sandbox ? `, ${sandbox.requests.length - requestsBefore} Plivo requests` : '';
        status.show(
          `run ${run}: polling${requests}, ${Math.round((clock.now() - shownFrom) / 1000)} s (rate-limited as deployed)`,
        );
      }, 250);
      try {
        const summary = await withEnv(env, () =>
          // A manual invocation of the default account ({}), as `aws lambda invoke` would send.
          handler({}, localLambdaContext({ timeoutMs: timeoutMs - (Date.now() - started) })),
        );
        clock.clearInterval(progress);
        summaries.push(summary);
        if (args.json) err(oneLine(summary));
        else print(explainSummary(run, summary));
      } catch (error) {
        clock.clearInterval(progress);
        failures += 1;
        const message = logger.scrubText((error as Error).message);
        (args.json ? err : print)(`run ${run} failed: ${(error as Error).name}: ${message}`);
      }
    }
    status.clear();
    const stopped = options.signal?.aborted === true;
    if (stopped) {
      const sent = summaries.reduce((n, s) => n + s.alertsPublished, 0);
      (args.json ? err : print)(
        `stopped (Ctrl-C) after ${plural(summaries.length + failures, 'run')}: ${plural(sent, 'notification')} sent, ${plural(failures, 'failed run')}`,
      );
    }
    return { summaries, failures, stopped };
  } finally {
    status.clear();
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
  let interrupted = false;
  const stop = () => {
    if (interrupted) {
      process.stderr.write('\nquitting now\n');
      rmSync(LOCAL_RUN_FILE, { force: true });
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write('\nCtrl-C: stopping after the current run (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  exitQuietlyOnClosedPipe(() => {
    rmSync(LOCAL_RUN_FILE, { force: true });
    process.exit(0);
  });
  localRun({ argv: process.argv.slice(2), signal: controller.signal, announceFile: LOCAL_RUN_FILE }).then(
    ({ failures }) => {
      process.exitCode = failures > 0 ? 1 : 0;
    },
    (error: Error) => {
      if (error.name === 'ConfigError') {
        process.stderr.write(
          `${error.message}\n\nFix the file (npx zentrunk-alerts validate-config FILE checks it), then run again.\n`,
        );
        process.exitCode = 2;
        return;
      }
      reportScriptError(error, USAGE);
    },
  );
}
