/**
 * The whole poller at volume, for `npm run bench` (section "scale"). The handler is bundled as
 * `cdk synth` bundles it and run in a child process of its own (one Lambda container), against
 * the Plivo sandbox with 80–150 ms of latency per request and Plivo's 300 requests / 5 s, a
 * DynamoDB-compatible server (dynalite, behind a proxy that asks for and adds up the write
 * units each write consumed) and an SNS stand-in that records every publish. Real time.
 *
 *   2,000 calls            one run
 *   20,000 calls           more than one run can do: the backlog is worked off over runs
 *   5x overload            calls arriving at five times what the budget can fetch Insights for
 *   naive baseline         list page by page, then Insights one by one, in the same sandbox
 *
 * Printed per scenario: calls/s, share of the request budget and of the ~57 calls/s physical
 * limit, 429s, requests per call, alerts per run, lag, peak RSS of the handler's process, and
 * DynamoDB write units per 1,000 calls.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { createStateTable } from '../functions/adapters/dynamodb/create-state-table';
import { ENV } from '../functions/core/contract';
import type { PollSummary } from '../functions/core/poll/run-context';
import { loadRuntimeConfigFile } from '../lib/config/project-config';
import { pollerEsbuildOptions } from '../lib/poller-bundling';
import { startLocalDynamoDb } from '../sandbox/local-dynamodb';
import { startPlivoSandbox, type PlivoSandbox } from '../sandbox/plivo-sandbox';
import { generateTraffic, readyAtEnd, type SandboxCall } from '../sandbox/traffic';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AUTH_ID = 'MABENCHSCALE0000000001';
const AUTH_TOKEN = `bench-${randomUUID()}`;
const LATENCY = { minMs: 80, maxMs: 150 };
const PLIVO_LIMIT = { requests: 300, windowMs: 5000 };
/** One Insights request per call and one list request per 20: the account's ceiling. */
const PHYSICAL_CALLS_PER_SEC = 300 / 5 / (1 + 1 / 20);

interface RunResult {
  ms: number;
  summary: PollSummary | null;
  error: string | null;
  maxRssMb: number;
  memory: NodeJS.MemoryUsage;
}

/** Counts the write units DynamoDB (dynalite) says each write consumed. */
async function startWriteUnitProxy(
  target: string,
): Promise<{ endpoint: string; wcu: () => number; close(): Promise<void> }> {
  let units = 0;
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const write = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].includes(op);
      if (write) {
        const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        parsed.ReturnConsumedCapacity = 'TOTAL';
        body = Buffer.from(JSON.stringify(parsed));
      }
      const headers = { ...req.headers, 'content-length': String(body.length), host: upstream.host };
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (up) => {
          const back: Buffer[] = [];
          up.on('data', (c: Buffer) => back.push(c));
          up.on('end', () => {
            const text = Buffer.concat(back);
            if (write && up.statusCode === 200) {
              const answer = JSON.parse(text.toString('utf8')) as { ConsumedCapacity?: unknown };
              const consumed = answer.ConsumedCapacity;
              for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
                units += Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0);
              }
            }
            res.writeHead(up.statusCode ?? 500, up.headers);
            res.end(text);
          });
        },
      );
      out.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    wcu: () => units,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An SNS stand-in (query protocol): answers Publish and keeps when each message arrived. */
async function startSnsStub(): Promise<{
  endpoint: string;
  published: Array<{ atMs: number; subject: string; endTime: string | null }>;
  close(): Promise<void>;
}> {
  const published: Array<{ atMs: number; subject: string; endTime: string | null }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const message = form.get('Message') ?? '';
      // A per-call alert's machine JSON carries its call's end time: the lag is measured on it.
      const endTime = /\\?"endTime\\?":\\?"([0-9T:.Z-]+)\\?"/.exec(message)?.[1] ?? null;
      published.push({ atMs: Date.now(), subject: form.get('Subject') ?? '', endTime });
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    published,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The handler bundled as `cdk synth` bundles it (lib/poller-function.ts). */
async function bundleHandler(dir: string): Promise<{ file: string; bytes: number }> {
  const file = join(dir, 'index.mjs');
  await build({
    ...pollerEsbuildOptions(),
    entryPoints: [join(ROOT, 'functions/poller/handler.ts')],
    outfile: file,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size };
}

/** One Lambda container: the bundled handler in a process of its own. */
async function startContainer(bundle: string, env: NodeJS.ProcessEnv, execArgv: string[]) {
  const child = fork(join(ROOT, 'scripts/bench-handler-child.mjs'), [bundle], {
    env,
    execArgv,
    // The handler's JSON logs and metric lines: not part of the figures.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Record<string, unknown>));
      child.once('exit', (code) => reject(new Error(`handler process exited (${code})`)));
    });
  const ready = (await next()) as { maxRssMb: number };
  return {
    readyRssMb: ready.maxRssMb,
    run: async (timeoutMs: number): Promise<RunResult> => {
      const answer = next();
      child.send({ type: 'run', timeoutMs });
      return (await answer) as unknown as RunResult;
    },
    close: () => {
      child.send({ type: 'exit' });
    },
  };
}

interface Scenario {
  name: string;
  /** Built when the scenario starts (the sandbox serves calls by the real clock). */
  calls: () => SandboxCall[];
  /** Runs, each started at its schedule tick (ms after the scenario starts). */
  ticksMs: number[];
  timeoutMs: number;
  config: Record<string, unknown>;
  scheduleSeconds: number;
}

function p95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? null;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function startSandbox(calls: readonly SandboxCall[]): Promise<PlivoSandbox> {
  return startPlivoSandbox({
    authId: AUTH_ID,
    authToken: AUTH_TOKEN,
    calls,
    rateLimit: PLIVO_LIMIT,
    latency: LATENCY,
  });
}

async function runScenario(
  scenario: Scenario,
  bundle: string,
  infra: { dynamoEndpoint: string; wcu: () => number; sns: Awaited<ReturnType<typeof startSnsStub>> },
  dir: string,
  options: { execArgv: string[] },
): Promise<void> {
  const { sns } = infra;
  const sandbox = await startSandbox(scenario.calls());
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  const ddb = new DynamoDBClient({
    endpoint: infra.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  await createStateTable(ddb, tableName);
  ddb.destroy();
  const configFile = join(dir, `${tableName}.json`);
  writeFileSync(configFile, JSON.stringify(scenario.config));
  const container = await startContainer(
    bundle,
    {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL_DYNAMODB: infra.dynamoEndpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      [ENV.plivoApiBaseUrl]: sandbox.baseUrl,
      [ENV.plivoAuthId]: AUTH_ID,
      [ENV.plivoAuthToken]: AUTH_TOKEN,
      [ENV.stateTableName]: tableName,
      [ENV.alertTopicArn]: 'arn:aws:sns:us-east-1:123456789012:bench-alerts',
      [ENV.alertConfigFile]: configFile,
      [ENV.scheduleSeconds]: String(scenario.scheduleSeconds),
    },
    options.execArgv,
  );
  const wcuBefore = infra.wcu();
  const publishedBefore = sns.published.length;
  const started = Date.now();
  const runs: RunResult[] = [];
  for (const tick of scenario.ticksMs) {
    const wait = started + tick - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    runs.push(await container.run(scenario.timeoutMs));
  }
  container.close();
  const stats = sandbox.stats();
  await sandbox.close();
  const requests = stats.received;
  const throttled = stats.throttled;
  const busyMs = runs.reduce((n, r) => n + r.ms, 0);
  // Calls evaluated: listed, less those an earlier run had finished (the overlap read again).
  const seen = runs.reduce(
    (n, r) => n + (r.summary ? r.summary.callsSeen - r.summary.callsAlreadyEvaluated : 0),
    0,
  );
  // Fetched, not sampled: a call whose Insights a run deferred at its deadline is sampled again
  // by the run that fetches them.
  const withInsights = runs.reduce((n, r) => n + (r.summary?.insightsFetched ?? 0), 0);
  const deferred = runs.reduce((n, r) => n + (r.summary?.insightsDeferredForTime ?? 0), 0);
  const sampledOut = runs.reduce((n, r) => n + (r.summary?.insightsSampledOut ?? 0), 0);
  const alerts = sns.published.slice(publishedBefore);
  const lags = alerts
    .filter((a) => a.endTime !== null)
    .map((a) => (a.atMs - Date.parse(a.endTime as string)) / 1000);
  const budgetPerSec = Number((scenario.config.plivo as { maxRequestsPer5s: number }).maxRequestsPer5s) / 5;

  console.log(`\n  ${scenario.name}`);
  const heap = (r: RunResult) =>
    `heap ${fmt(r.memory.heapUsed / 2 ** 20)} of ${fmt(r.memory.heapTotal / 2 ** 20)} MB, external ${fmt(r.memory.external / 2 ** 20)} MB`;
  console.log(`    after loading the bundle: peak RSS ${fmt(container.readyRssMb)} MB`);
  runs.forEach((r, i) => {
    const s = r.summary;
    console.log(
      `    run ${i + 1}: ${fmt(r.ms / 1000, 1)} s, ${
        s
          ? `${fmt(s.callsSeen)} calls in ${s.slices} slice(s), ${s.slicesLeft} left, ` +
            `Insights share ${fmt((s.insightsShare ?? 1) * 100)} %, ${s.alertsPublished} notices, lag after ${s.lagSeconds ?? '?'} s`
          : 'no summary'
      }` +
        `${r.error ? `, FAILED: ${r.error.slice(0, 120)}` : ''}, peak RSS ${fmt(r.maxRssMb)} MB (${heap(r)})`,
    );
  });
  console.log(
    `    calls/s ${fmt(seen / (busyMs / 1000), 1)} (${fmt((seen / (busyMs / 1000) / PHYSICAL_CALLS_PER_SEC) * 100)} % of the ~57/s limit); ` +
      `requests/s ${fmt(requests / (busyMs / 1000), 1)} = ${fmt((requests / (busyMs / 1000) / budgetPerSec) * 100)} % of the budget (${budgetPerSec * 5} / 5 s)`,
  );
  console.log(
    `    429s ${throttled} of ${fmt(requests)} requests (${fmt((throttled / Math.max(1, requests)) * 100, 2)} %); requests per call ${fmt(requests / Math.max(1, seen), 2)}; ` +
      `Insights fetched for ${fmt(withInsights)} calls, ${fmt(sampledOut)} sampled out, ` +
      `${fmt(deferred)} deferred to the next run at a deadline`,
  );
  console.log(
    `    alerts published ${alerts.length} (${fmt(alerts.length / runs.length, 1)} per run); p95 lag call end → alert ${lags.length ? `${fmt(p95(lags) as number)} s` : 'n/a (no per-call alert)'}; ` +
      `DynamoDB ${fmt(((infra.wcu() - wcuBefore) / Math.max(1, seen)) * 1000, 1)} write units per 1,000 calls; peak RSS ${fmt(Math.max(...runs.map((r) => r.maxRssMb)))} MB`,
  );
  // What a run costs whatever its calls: the schedule's share of the cost (docs/performance.md).
  console.log(
    `    per run: ${fmt(busyMs / runs.length)} ms of function time, ${fmt((infra.wcu() - wcuBefore) / runs.length, 1)} write units, ` +
      `${fmt(requests / runs.length, 1)} Plivo requests`,
  );
}

/** The naive client: list page by page, then ask for each call's Insights one at a time. */
async function naiveBaseline(calls: SandboxCall[]): Promise<void> {
  const sandbox = await startSandbox(calls);
  const auth = `Basic ${Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64')}`;
  const base = `${sandbox.baseUrl}/v1/Account/${AUTH_ID}/Zentrunk/Call/`;
  const ends = calls.map((c) => c.endTime.getTime());
  const plivoTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const query = `end_time__gte=${encodeURIComponent(plivoTime(Math.min(...ends)))}&end_time__lt=${encodeURIComponent(plivoTime(Math.max(...ends) + 1000))}`;
  const started = Date.now();
  const uuids: string[] = [];
  let requests = 0;
  for (let offset = 0; ; offset += 20) {
    requests += 1;
    const page = (await (
      await fetch(`${base}?${query}&limit=20&offset=${offset}`, { headers: { Authorization: auth } })
    ).json()) as {
      objects: Array<{ call_uuid: string }>;
    };
    uuids.push(...page.objects.map((o) => o.call_uuid));
    if (page.objects.length < 20) break;
  }
  for (const uuid of uuids) {
    requests += 1;
    await (await fetch(`${base}${uuid}/Insights/`, { headers: { Authorization: auth } })).text();
  }
  const secs = (Date.now() - started) / 1000;
  console.log(
    `\n  naive baseline (sequential list, then Insights one by one): ${fmt(uuids.length)} calls in ${fmt(secs, 1)} s = ` +
      `${fmt(uuids.length / secs, 1)} calls/s (${fmt((uuids.length / secs / PHYSICAL_CALLS_PER_SEC) * 100)} % of the ~57/s limit), ${fmt(requests / secs, 1)} requests/s`,
  );
  await sandbox.close();
}

export async function runScaleBench(options: {
  quick: boolean;
  /** Only the scenarios whose name starts with one of these ('naive' for the baseline). */
  only?: string[];
  /** Node options of the handler's process (e.g. a heap cap). */
  execArgv?: string[];
}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zentrunk-bench-'));
  mkdirSync(dir, { recursive: true });
  const dynamo = await startLocalDynamoDb();
  const proxy = await startWriteUnitProxy(dynamo.endpoint);
  const sns = await startSnsStub();
  try {
    const bundle = await bundleHandler(dir);
    console.log(
      `\nScale: the bundled handler (${fmt(bundle.bytes / 1024)} KB) in its own process, sandbox with ${LATENCY.minMs}–${LATENCY.maxMs} ms latency and ` +
        `${PLIVO_LIMIT.requests} requests / 5 s, dynalite, an SNS stand-in; real time`,
    );
    const shipped = loadRuntimeConfigFile(join(ROOT, 'config/prod.json')) as unknown as Record<
      string,
      unknown
    >;
    const at = (budget: number, poll: Record<string, unknown>) => ({
      ...shipped,
      plivo: { ...(shipped.plivo as object), maxRequestsPer5s: budget },
      poll: { ...(shipped.poll as object), ...poll },
    });
    const now = Date.now();
    const traffic = (seed: number, fromMs: number, toMs: number, perMinute: number) => {
      const calls = generateTraffic({
        seed,
        from: new Date(fromMs),
        to: new Date(toMs),
        callsPerMinute: perMinute,
        incidents: 'none',
      });
      return readyAtEnd(calls);
    };
    const MIN = 60_000;

    const scenarios: Scenario[] = [
      {
        name: '2,000 calls (shipped prod config, full budget 300 / 5 s), one run',
        calls: () => traffic(1, Date.now() - 40 * MIN, Date.now() - 5 * MIN, 2000 / 35),
        ticksMs: [0],
        timeoutMs: 240_000,
        config: at(300, { firstRunLookbackMinutes: 45 }),
        scheduleSeconds: 300,
      },
    ];
    if (!options.quick) {
      scenarios.push({
        name: '20,000 calls: more than a run can do (240 s timeout), worked off over runs',
        calls: () => traffic(2, Date.now() - 55 * MIN, Date.now() - 45 * MIN, 2000),
        ticksMs: [0, 240_000],
        timeoutMs: 240_000,
        config: at(300, { firstRunLookbackMinutes: 60 }),
        scheduleSeconds: 300,
      });
    }
    // A 1-minute schedule (50 s timeout): the budget serves ~36 calls/s over an interval; calls
    // arrive at five times that for three intervals.
    scenarios.push({
      name: 'overload: calls arriving at 5x what the budget can fetch Insights for (1-minute schedule)',
      // From a minute before the first run to the end of the third interval.
      calls: () => traffic(3, Date.now() - 55_000, Date.now() + 125_000, 5 * 36 * 60),
      ticksMs: [5_000, 65_000, 125_000],
      timeoutMs: 50_000,
      config: at(300, { firstRunLookbackMinutes: 1, overlapMinutes: 1, safetyMarginSeconds: 5 }),
      scheduleSeconds: 60,
    });
    // Runs with no call to read: what the schedule costs by itself (lease, cursor, health, run
    // log, the counts), whatever the volume. The first run (no cursor yet) is left out of the mean.
    scenarios.push({
      name: 'idle: 7 runs with no calls (what a run costs by itself)',
      calls: () => [],
      ticksMs: [0, 3_000, 6_000, 9_000, 12_000, 15_000, 18_000],
      timeoutMs: 50_000,
      config: at(300, { firstRunLookbackMinutes: 5, settleSeconds: 0 }),
      scheduleSeconds: 60,
    });
    for (const scenario of scenarios) {
      if (options.only && !options.only.some((prefix) => scenario.name.startsWith(prefix))) continue;
      await runScenario(scenario, bundle.file, { dynamoEndpoint: proxy.endpoint, wcu: proxy.wcu, sns }, dir, {
        execArgv: options.execArgv ?? [],
      });
    }
    if (!options.only || options.only.includes('naive')) {
      await naiveBaseline(traffic(4, now - 100 * MIN, now - 95 * MIN, 80));
    }
  } finally {
    await sns.close();
    await proxy.close();
    await dynamo.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
