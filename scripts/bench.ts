/**
 * `npm run bench`: what the poller costs, each figure next to a baseline measured in the same
 * run on the same data, so the numbers mean something on any machine.
 *
 *   1. Payload normalisation (zod, every variant) vs bare JSON.parse of the same page bodies.
 *   2. Rule evaluation vs a loop that only reads the fields the rules read.
 *   3. A whole poll run (sandbox over HTTP + dynalite) vs just listing the same calls over HTTP,
 *      with the Plivo rate limit raised out of the way so the poller's own overhead shows.
 *      Heap growth and RSS are printed for the run.
 *   4. How much of its Plivo rate budget the client uses: against the sandbox with Plivo's
 *      300 requests / 5 s (counted on arrival) and 80–150 ms round trips, listing a range and
 *      then fetching every call's Insights as the poller does, at budgets of 60, 150 and 300
 *      requests / 5 s, vs a naive client doing one request at a time. ~2 minutes.
 *   5. Scale (scripts/bench-scale.ts): the bundled handler in a process of its own at full
 *      budget: 2,000 calls, 20,000 calls (a backlog larger than one run), calls arriving at
 *      five times what the budget serves, and a naive sequential client; calls/s, share of the
 *      budget, 429s, requests per call, alerts, lag, peak RSS, DynamoDB write units per 1,000
 *      calls. ~12 minutes (--quick leaves out the 20,000 calls: ~4 minutes).
 *   6. Cold start (scripts/bench-cold-start.ts): import() of the bundled handler in fresh
 *      processes vs the DynamoDB and SNS SDK clients alone bundled the same way (with the SDK's
 *      default credential chain, and with the Lambda-only one the handler uses); sizes, times,
 *      what --enable-source-maps adds, and the bundle's largest inputs. ~40 s.
 *   7. Time to page and Plivo requests per call (scripts/bench-time-to-page.ts): the poll use
 *      case run at every schedule tick on a simulated clock, against the sandbox answering
 *      in-process with Plivo's latency, under the client's own rate limit. p50 / p95 from a
 *      call's end to its page, per rule class (CDR-only, Insights, windowed), at schedules of 1,
 *      5 and 15 minutes and the shipped one (config/prod.json deployment.scheduleMinutes), with
 *      Insights ready at once and 2 minutes late, next to the same pages if runs took no time;
 *      then Plivo requests per call in steady state at 1 and 4 calls/s, next to a poller that
 *      lists its whole overlap every run and one that lists each CDR once. --cdr-delay sets when
 *      CDRs appear (default 5-30 s). ~3 minutes (--quick, fewer simulated hours: ~1.5).
 *   8. Traffic rules (scripts/bench-traffic.ts): the 14-day seasonal demo with its injected
 *      events replayed as backtest does, at the shipped schedule: each event's detection delay,
 *      false pages, the baseline's state in bytes and its writes, the replay with the rules off
 *      as the baseline; then the writes at 54 calls/s. ~3 minutes.
 *
 * Options: --section (default all), --calls N (default 2000 for the run), --records N (default
 * 50000 for 1 and 2), --rate-calls N (default 2000: calls at 300 / 5 s in 4, fewer at smaller
 * budgets so that each run takes about as long).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConsoleNotifier } from '../functions/adapters/console/console-notifier';
import { createStateTable } from '../functions/adapters/dynamodb/create-state-table';
import { DynamoDbStateStore } from '../functions/adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../functions/adapters/logging/json-logger';
import { normalizeCall, normalizeInsights } from '../functions/adapters/plivo/payload-schemas';
import { PAGE_LIMIT, PlivoClient } from '../functions/adapters/plivo/plivo-client';
import { RateLimiter } from '../functions/adapters/plivo/rate-limiter';
import type { EvaluatedCall } from '../functions/core/call';
import { parseConfig } from '../functions/core/config/load-config';
import { mapConcurrent } from '../functions/core/poll/map-concurrent';
import { poll } from '../functions/core/poll/poll-use-case';
import { evaluateRules } from '../functions/core/rules/evaluate-rules';
import { startLocalDynamoDb } from '../sandbox/local-dynamodb';
import { renderCdr, renderInsights, startPlivoSandbox } from '../sandbox/plivo-sandbox';
import { generateTraffic } from '../sandbox/traffic';
import { runColdStartBench } from './bench-cold-start';
import { runScaleBench } from './bench-scale';
import { runTimeToPageBench } from './bench-time-to-page';
import { runTrafficBench } from './bench-traffic';
import { reportScriptError, scriptArgs, UsageError } from './script-args';

const USAGE = `Usage: npm run bench -- [--section S] [--calls N] [--records N] [--rate-calls N]

  --section <s>     which sections to run: all (default), or some of 1,2,3,4,5,6,7,8 (e.g. --section 4)
  --quick           section 5 without its 20,000-call scenario; section 7 over fewer simulated hours
  --cdr-delay <a-b> section 7: CDRs appear a to b seconds after the call ends (default 5-30)
  --late-share <p>  section 7: the share of CDRs written 1-10 minutes late (default 0.02)
  --requests-only   section 7: only its requests-per-call table (not time to page)
  --heap-mb <n>     section 5: cap the handler process's V8 heap as the stack does
                    (--max-old-space-size=n --max-semi-space-size=4; 64 for 256 MB)
  --calls <n>       calls in the whole-run benchmark (default 2000)
  --records <n>     CDR records for the parsing and rules benchmarks (default 50000)
  --rate-calls <n>  calls at 300 requests / 5 s in the rate-budget benchmark (default 2000;
                    proportionally fewer at the smaller budgets)
  --help            this text`;

let values: {
  section?: string;
  calls?: string;
  records?: string;
  'rate-calls'?: string;
  quick?: boolean;
  'heap-mb'?: string;
  'cdr-delay'?: string;
  'late-share'?: string;
  'requests-only'?: boolean;
  help?: boolean;
} = {};
let CDR_DELAY: [number, number] = [5, 30];
let LATE_SHARE = 0.02;
let SECTIONS = new Set<number>();
try {
  values = scriptArgs({
    section: { type: 'string', default: 'all' },
    calls: { type: 'string', default: '2000' },
    records: { type: 'string', default: '50000' },
    'rate-calls': { type: 'string', default: '2000' },
    quick: { type: 'boolean', default: false },
    'heap-mb': { type: 'string' },
    'cdr-delay': { type: 'string', default: '5-30' },
    'late-share': { type: 'string', default: '0.02' },
    'requests-only': { type: 'boolean', default: false },
  });
  const section = values.section ?? 'all';
  SECTIONS = new Set(
    section === 'all' ? [1, 2, 3, 4, 5, 6, 7, 8] : section.split(',').map((p) => Number(p.trim())),
  );
  if ([...SECTIONS].some((n) => ![1, 2, 3, 4, 5, 6, 7, 8].includes(n))) {
    throw new UsageError(`--section: all, or some of 1,2,3,4,5,6,7,8 separated by commas, got '${section}'`);
  }
  const delay = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(values['cdr-delay'] ?? '');
  if (!delay || Number(delay[1]) > Number(delay[2]) || Number(delay[2]) > 600) {
    throw new UsageError(
      `--cdr-delay: seconds as min-max, at most 600 (e.g. 5-30), got '${values['cdr-delay']}'`,
    );
  }
  CDR_DELAY = [Number(delay[1]), Number(delay[2])];
  LATE_SHARE = Number(values['late-share']);
  if (!(LATE_SHARE >= 0 && LATE_SHARE <= 0.5)) {
    throw new UsageError(`--late-share: a share from 0 to 0.5 (e.g. 0.02), got '${values['late-share']}'`);
  }
  for (const name of ['calls', 'records', 'rate-calls'] as const) {
    const n = Number(values[name]);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new UsageError(`--${name}: a positive integer, got '${values[name]}'`);
  }
} catch (error) {
  reportScriptError(error, USAGE);
  process.exit();
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const RUN_CALLS = Number(values.calls);
const RECORDS = Number(values.records);
const RATE_CALLS = Number(values['rate-calls']);
const MIN = 60_000;

function time<T>(fn: () => T): { ms: number; result: T } {
  const start = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const row = (label: string, value: string, baseline: string, ratio: string) =>
  console.log(`  ${label.padEnd(30)} ${value.padStart(16)}   baseline ${baseline.padStart(16)}   ${ratio}`);

function trafficOf(count: number, seed: number) {
  const now = new Date('2026-11-20T12:00:00Z');
  // 60 healthy calls per minute plus every incident; enough minutes for `count` calls.
  const minutes = Math.max(1, Math.ceil(count / 60));
  if (minutes > 55 && count === RUN_CALLS) throw new Error('--calls: at most 3300 (one hour of traffic)');
  return generateTraffic({
    seed,
    from: new Date(now.getTime() - minutes * MIN),
    to: now,
    callsPerMinute: 60,
  }).slice(0, count);
}

async function main() {
  console.log(`zentrunk-alerts benchmark (Node ${process.version}, ${process.arch})`);
  if (SECTIONS.has(1) || SECTIONS.has(2)) parsingAndRules();
  if (SECTIONS.has(3)) await wholeRun();
  if (SECTIONS.has(4)) await rateBudget();
  if (SECTIONS.has(5)) {
    await runScaleBench({
      quick: values.quick === true,
      // As the stack runs the function (lib/poller-function.ts).
      execArgv: values['heap-mb']
        ? [`--max-old-space-size=${Number(values['heap-mb'])}`, '--max-semi-space-size=4']
        : [],
    });
  }
  if (SECTIONS.has(6)) await runColdStartBench();
  if (SECTIONS.has(7)) {
    await runTimeToPageBench({
      quick: values.quick === true,
      cdrDelaySec: CDR_DELAY,
      lateCdrShare: LATE_SHARE,
      requestsOnly: values['requests-only'] === true,
    });
  }
  if (SECTIONS.has(8)) await runTrafficBench();
}

/** Sections 1 and 2 (2 needs the normalised records of 1, which it then makes silently). */
function parsingAndRules() {
  const config = parseConfig({}, 'defaults');

  // 1. Normalisation: page bodies as Plivo sends them, parsed and normalised.
  const calls = trafficOf(RECORDS, 1);
  const pages: string[] = [];
  for (let i = 0; i < calls.length; i += 20) {
    pages.push(
      JSON.stringify({ api_id: randomUUID(), objects: calls.slice(i, i + 20).map((c) => renderCdr(c)) }),
    );
  }
  const insightBodies = calls.map((c) => JSON.stringify(renderInsights(c, randomUUID())));
  const baseline1 = time(() =>
    pages.reduce((n, p) => n + (JSON.parse(p) as { objects: unknown[] }).objects.length, 0),
  );
  const normalised = time(() => {
    const out: ReturnType<typeof normalizeCall>[] = [];
    for (const p of pages)
      for (const o of (JSON.parse(p) as { objects: unknown[] }).objects) out.push(normalizeCall(o));
    return out;
  });
  const baselineInsights = time(() => insightBodies.map((b) => JSON.parse(b) as unknown));
  const normalisedInsights = time(() =>
    insightBodies.map((b, i) => normalizeInsights(JSON.parse(b), calls[i]?.callUuid ?? '')),
  );
  if (SECTIONS.has(1)) {
    console.log(`\n1. Payload normalisation, ${calls.length.toLocaleString('en-US')} records`);
    row(
      'CDRs parsed + normalised',
      rate(calls.length, normalised.ms),
      rate(calls.length, baseline1.ms),
      `(JSON.parse only; ${(normalised.ms / baseline1.ms).toFixed(1)}x its time)`,
    );
    row(
      'insights parsed + normalised',
      rate(calls.length, normalisedInsights.ms),
      rate(calls.length, baselineInsights.ms),
      `(JSON.parse only; ${(normalisedInsights.ms / baselineInsights.ms).toFixed(1)}x its time)`,
    );
  }
  if (!SECTIONS.has(2)) return;

  // 2. Rules over normalised calls with insights.
  const evaluated: EvaluatedCall[] = [];
  normalised.result.forEach((r, i) => {
    const ins = normalisedInsights.result[i];
    if (r.ok && ins?.ok) evaluated.push({ call: r.call, insights: ins.insights, insightsGaveUp: false });
  });
  const baseline2 = time(() => {
    let touched = 0;
    for (const e of evaluated) {
      const i = e.insights;
      if ((i?.qualityScore ?? 5) < 3 || (i?.packetLossPct ?? 0) >= 0.9 || e.call.hangupSource === 'zentrunk')
        touched++;
      if (e.call.stirVerification === 'not-verified' || (i?.jitterMs ?? 0) >= 30 || (i?.rttMs ?? 0) > 300)
        touched++;
    }
    return touched;
  });
  const rules = time(() => evaluateRules(evaluated, config));
  console.log(`\n2. Rule evaluation, ${evaluated.length.toLocaleString('en-US')} calls, 7 rules`);
  row(
    'calls evaluated',
    rate(evaluated.length, rules.ms),
    rate(evaluated.length, baseline2.ms),
    `(field reads only; ${rules.result.length} findings)`,
  );
}

async function wholeRun() {
  // 3. A whole run over HTTP and DynamoDB.
  const runCalls = trafficOf(RUN_CALLS, 2);
  const now = new Date('2026-11-20T12:00:00Z');
  const sandbox = await startPlivoSandbox({
    authId: 'MABENCH0000000000000001',
    authToken: 'bench-token-not-secret',
    calls: runCalls,
    now: () => now,
    rateLimit: { requests: 1_000_000, windowMs: 5000 },
  });
  const dynamo = await startLocalDynamoDb();
  const low = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  await createStateTable(low, 'bench');
  const logger = new JsonLogger({ write: () => {}, level: 'error' });
  const runConfig = parseConfig(
    { plivo: { maxRequestsPer5s: 300, insightsConcurrency: 8 }, poll: { firstRunLookbackMinutes: 60 } },
    'bench',
  );
  const client = () =>
    new PlivoClient({
      baseUrl: sandbox.baseUrl,
      authId: 'MABENCH0000000000000001',
      authToken: 'bench-token-not-secret',
      // Out of the way: at any real share of Plivo's 300/5 s the limiter's waits would be all
      // this measures (see the note printed below).
      config: { ...runConfig.plivo, maxRequestsPer5s: 1_000_000 },
      logger,
    });
  const window = { from: new Date(now.getTime() - 60 * MIN), to: now };

  const listStart = process.hrtime.bigint();
  const listed = await client().listCalls(window);
  const listMs = Number(process.hrtime.bigint() - listStart) / 1e6;

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const runStart = process.hrtime.bigint();
  const summary = await poll({
    source: client(),
    store: new DynamoDbStateStore({ tableName: 'bench', client: DynamoDBDocumentClient.from(low) }),
    notifier: new ConsoleNotifier({ format: 'jsonl', write: () => {} }),
    logger,
    config: {
      ...runConfig,
      notifications: { ...runConfig.notifications, alertBudget: { maxAlerts: 1000, perMinutes: 5 } },
    },
    now: () => now,
    remainingTimeMs: () => 900_000,
    runId: 'bench',
  });
  const runMs = Number(process.hrtime.bigint() - runStart) / 1e6;
  clearInterval(sampler);
  const heapAfter = process.memoryUsage().heapUsed;

  console.log(
    `\n3. One poll run, ${summary.callsSeen.toLocaleString('en-US')} calls (${listed.pages} pages, ` +
      `${summary.insightsFetched} insights, ${summary.alertsPublished} alerts)`,
  );
  row(
    'whole run',
    `${(runMs / 1000).toFixed(2)} s`,
    `${(listMs / 1000).toFixed(2)} s`,
    `(listing the same calls only; ${rate(summary.callsSeen, runMs)} calls)`,
  );
  console.log(
    `  ${'memory'.padEnd(30)} heap +${mb(Math.max(0, heapAfter - heapBefore))}, peak RSS ${mb(peakRss)}` +
      `${global.gc ? '' : ' (run with node --expose-gc for a cleaner heap figure)'}`,
  );
  // The limiter grants at most its budget per 5.2 s (see rate-limiter.ts).
  const budget = parseConfig({}, 'defaults').plivo.maxRequestsPer5s;
  const perInterval = Math.floor((budget / 5.2) * 5 * 60);
  console.log(
    `\n  At the default share of Plivo's limit (${budget} requests / 5 s) one 5-minute interval allows ${perInterval} requests:\n` +
      `  about ${Math.floor(perInterval / 1.05)} calls per interval (one insights request per call + 1 list page per 20).\n` +
      `  Plivo's rate limit, not the poller, bounds throughput (section 4); raise plivo.maxRequestsPer5s for more.`,
  );

  low.destroy();
  await sandbox.close();
  await dynamo.close();
}

/** Plivo's limit: requests per 5 s per account, counted when they arrive. */
const PLIVO_LIMIT = 300;
const PLIVO_WINDOW_MS = 5000;
/** Plivo's measured round trips. */
const LATENCY = { minMs: 80, maxMs: 150 };
/** Requests per call when listing and fetching Insights: one page per 20 calls, one Insights each. */
const REQUESTS_PER_CALL = 1 + 1 / PAGE_LIMIT;
/** The most calls per second Plivo's limit lets anyone check: 300 / 5 s / 1.05 ≈ 57. */
const PHYSICAL_CALLS_PER_S = PLIVO_LIMIT / (PLIVO_WINDOW_MS / 1000) / REQUESTS_PER_CALL;

interface RateResult {
  label: string;
  budget: number;
  calls: number;
  wallMs: number;
  requests: number;
  throttled: number;
  /** Requests per second while work remained, averaged over Plivo's 5 s window (see steadyRate). */
  steadyPerS: number;
  peakAtServer: number;
}

/**
 * Requests per second from departure times (ms, ascending), as Plivo's window sees them: the
 * mean number of departures in the window (t - 5 s, t], over every t from the end of the first
 * window to the last departure, divided by 5 s. The first window is left out: a sliding window
 * lets a whole budget through at once at the start, which says nothing about the steady rate.
 * Averaging over every position of the window, rather than counting over one interval, keeps
 * the figure from depending on where an interval happens to cut the bursts a sliding window
 * produces. Runs shorter than two windows: plain requests / elapsed.
 */
function steadyRate(departures: number[]): number {
  const first = departures[0] as number;
  const last = departures[departures.length - 1] as number;
  const from = first + PLIVO_WINDOW_MS;
  if (last - from < PLIVO_WINDOW_MS) return (departures.length / Math.max(1, last - first)) * 1000;
  let covered = 0;
  for (const d of departures) covered += Math.max(0, Math.min(d + PLIVO_WINDOW_MS, last) - Math.max(d, from));
  return (covered / (last - from) / PLIVO_WINDOW_MS) * 1000;
}

/**
 * 4. List a range, then fetch every call's Insights, as the poller does, against a sandbox that
 * behaves like Plivo's limit and latency. One sandbox per run: each starts with the account idle.
 */
async function rateRun(options: {
  label: string;
  budget: number;
  calls: number;
  seed: number;
  /** The naive baseline: one page, then one Insights request, at a time. */
  sequential: boolean;
}): Promise<RateResult> {
  const now = Date.now();
  // Calls that ended 3 to 1 hours ago: every CDR and (almost) every Insights ready.
  const traffic = generateTraffic({
    seed: options.seed,
    from: new Date(now - 3 * 60 * MIN),
    to: new Date(now - 60 * MIN),
    callsPerMinute: Math.ceil(options.calls / 110),
  }).slice(0, options.calls);
  const authId = 'MABENCHRATE00000000001';
  const authToken = 'bench-token-not-secret';
  const sandbox = await startPlivoSandbox({
    authId,
    authToken,
    calls: traffic,
    // The real clock: the rate limit counts real arrivals.
    now: () => new Date(),
    rateLimit: { requests: PLIVO_LIMIT, windowMs: PLIVO_WINDOW_MS },
    latency: { ...LATENCY, seed: options.seed },
  });
  const config = parseConfig({ plivo: { maxRequestsPer5s: options.budget } }, 'bench').plivo;
  const departures: number[] = [];
  const client = new PlivoClient({
    baseUrl: sandbox.baseUrl,
    authId,
    authToken,
    config,
    logger: new JsonLogger({ write: () => {}, level: 'error' }),
    fetch: (input, init) => {
      departures.push(performance.now());
      return fetch(input, init);
    },
    limiter: new RateLimiter({ maxRequests: options.budget }),
    ...(options.sequential ? { listPagesAhead: 0 } : {}),
  });
  const started = performance.now();
  const listed = await client.listCalls({ from: new Date(now - 4 * 60 * MIN), to: new Date(now) });
  await mapConcurrent(listed.calls, options.sequential ? 1 : config.insightsConcurrency, (call) =>
    client.getInsights(call.callUuid).catch(() => null),
  );
  const wallMs = performance.now() - started;
  const stats = client.stats();
  const peakAtServer = sandbox.stats().peakInWindow;
  await sandbox.close();
  return {
    label: options.label,
    budget: options.budget,
    calls: listed.calls.length,
    wallMs,
    requests: stats.requests,
    throttled: stats.throttled,
    steadyPerS: steadyRate(departures),
    peakAtServer,
  };
}

async function rateBudget() {
  console.log(
    `\n4. Plivo's rate budget: list a range, then every call's Insights (the poller's way), against the sandbox\n` +
      `   with Plivo's ${PLIVO_LIMIT} requests / 5 s counted on arrival and ${LATENCY.minMs}–${LATENCY.maxMs} ms round trips`,
  );
  const results: RateResult[] = [];
  for (const budget of [60, 150, 300]) {
    const calls = Math.max(PAGE_LIMIT, Math.round((RATE_CALLS * budget) / PLIVO_LIMIT));
    results.push(await rateRun({ label: `${budget} / 5 s`, budget, calls, seed: budget, sequential: false }));
  }
  // The naive client: one request at a time (Plivo's limit never reached); fewer calls, same figures.
  results.push(
    await rateRun({
      label: 'one at a time',
      budget: PLIVO_LIMIT,
      calls: Math.max(PAGE_LIMIT, Math.round(RATE_CALLS / 16)),
      seed: 7,
      sequential: true,
    }),
  );
  const header = [
    'budget'.padEnd(14),
    'calls'.padStart(6),
    'time'.padStart(8),
    'calls/s'.padStart(8),
    'req/s'.padStart(7),
    'of budget'.padStart(10),
    'of 57 calls/s'.padStart(14),
    '429s'.padStart(12),
    'req/call'.padStart(9),
    'peak 5 s'.padStart(9),
  ];
  console.log(`   ${header.join(' ')}`);
  for (const r of results) {
    const perCall = r.requests / r.calls;
    const callsPerS = r.steadyPerS / perCall;
    const budgetPerS = r.budget / (PLIVO_WINDOW_MS / 1000);
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log(
      `   ${[
        r.label.padEnd(14),
        String(r.calls).padStart(6),
        `${(r.wallMs / 1000).toFixed(1)} s`.padStart(8),
        callsPerS.toFixed(1).padStart(8),
        r.steadyPerS.toFixed(1).padStart(7),
        pct(r.steadyPerS / budgetPerS).padStart(10),
        pct(callsPerS / PHYSICAL_CALLS_PER_S).padStart(14),
        `${r.throttled} (${pct(r.throttled / r.requests)})`.padStart(12),
        perCall.toFixed(3).padStart(9),
        String(r.peakAtServer).padStart(9),
      ].join(' ')}`,
    );
  }
  console.log(
    `   Rates are per second while work remained, as Plivo's 5 s window sees them after the first window\n` +
      `   (a sliding window lets a whole budget through at once at the start). "of budget": requests/s over\n` +
      `   budget/s (the limiter keeps a 200 ms margin: at most 96.2 %). "of 57 calls/s": calls/s over what\n` +
      `   Plivo's 300 / 5 s allows anyone at ${REQUESTS_PER_CALL} requests per call. "peak 5 s": most requests in\n` +
      `   Plivo's window at once. "one at a time" is the naive client (budget ${PLIVO_LIMIT} / 5 s, never reached).`,
  );
}

main().catch((error: Error) => reportScriptError(error, USAGE));
