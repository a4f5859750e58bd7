/**
 * `npm run bench`: what the poller costs, each figure next to a baseline measured in the same
 * run on the same data, so the numbers mean something on any machine.
 *
 *   1. Payload normalisation (zod, every variant) vs bare JSON.parse of the same page bodies.
 *   2. Rule evaluation vs a loop that only reads the fields the rules read.
 *   3. A whole poll run (sandbox over HTTP + dynalite) vs just listing the same calls over HTTP,
 *      with the Plivo rate limit raised out of the way so the poller's own overhead shows.
 *      Heap growth and RSS are printed for the run.
 *
 * Options: --calls N (default 2000 for the run), --records N (default 50000 for 1 and 2).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConsoleNotifier } from '../functions/adapters/console/console-notifier';
import { createStateTable } from '../functions/adapters/dynamodb/create-state-table';
import { DynamoDbStateStore } from '../functions/adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../functions/adapters/logging/json-logger';
import { normalizeCall, normalizeInsights } from '../functions/adapters/plivo/payload-schemas';
import { PlivoClient } from '../functions/adapters/plivo/plivo-client';
import type { EvaluatedCall } from '../functions/core/call';
import { parseConfig } from '../functions/core/config/load-config';
import { poll } from '../functions/core/poll/poll-use-case';
import { evaluateRules } from '../functions/core/rules/evaluate-rules';
import { startLocalDynamoDb } from '../sandbox/local-dynamodb';
import { renderCdr, renderInsights, startPlivoSandbox } from '../sandbox/plivo-sandbox';
import { generateTraffic } from '../sandbox/traffic';
import { reportScriptError, scriptArgs } from './script-args';

const USAGE = `Usage: npm run bench -- [--calls N] [--records N]

  --calls <n>     calls in the whole-run benchmark (default 2000)
  --records <n>   CDR records for the parsing and rules benchmarks (default 50000)
  --help          this text`;

let values: { calls?: string; records?: string; help?: boolean } = {};
try {
  values = scriptArgs({
    calls: { type: 'string', default: '2000' },
    records: { type: 'string', default: '50000' },
  });
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
  console.log(`zentrunk-alerts benchmark (Node ${process.version}, ${process.arch})\n`);
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
  console.log(`1. Payload normalisation, ${calls.length.toLocaleString('en-US')} records`);
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
    config: { ...runConfig, notifications: { ...runConfig.notifications, maxAlertsPerRun: 1000 } },
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
  const perRunAtDefault = Math.floor((60 / 5) * 5 * 60); // requests in a 5-minute schedule at 60 per 5 s
  console.log(
    `\n  At the default share of Plivo's limit (60 requests / 5 s) one 5-minute interval allows ${perRunAtDefault} requests:\n` +
      `  about ${Math.floor(perRunAtDefault * 0.95)} calls per interval (one insights request per call + 1 list page per 20).\n` +
      `  Plivo's rate limit, not the poller, bounds throughput; raise plivo.maxRequestsPer5s for more.`,
  );

  low.destroy();
  await sandbox.close();
  await dynamo.close();
}

main().catch((error: Error) => reportScriptError(error, USAGE));
