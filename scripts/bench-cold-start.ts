/**
 * Section 6 of `npm run bench`: what loading the poller costs a cold Lambda container. The
 * handler is bundled as `cdk synth` bundles it (lib/poller-bundling.ts), and so is a baseline of
 * nothing but the AWS SDK clients the poller cannot do without (DynamoDB, its document client,
 * SNS), bundled as anyone bundles them (with the SDK's default credential chain), and once more
 * with the handler's Lambda-only credential chain (lib/poller-bundling.ts). Each is then imported in fresh Node processes, interleaved, and the medians compared:
 * the bundle's own code and other dependencies cost the difference. The bundle is also timed
 * with --enable-source-maps, to show what that option costs at start-up, and its code once more
 * up to the first parses of a run (config, list page, CDR, insights), so that work only moved
 * from import to first use does not pass for a saving.
 *
 * Also printed: the largest inputs of the bundle by package (esbuild's metafile), to see what
 * the bytes are.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { pollerEsbuildOptions } from '../lib/poller-bundling';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 11;

/** The SDK clients the poller needs in any form, and nothing else. */
const SDK_BASELINE = `
export { DynamoDBClient } from '@aws-sdk/client-dynamodb';
export { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export { SNSClient } from '@aws-sdk/client-sns';
`;

/**
 * The handler's code with the parsers every run uses exposed: work deferred to the first use (a
 * schema built lazily, a parser compiled on its first call) is not a saving for a cold start,
 * whose first run pays it. Tree shaking keeps this bundle's code the deployed one's.
 */
const READY_PROBE = `
export * from './functions/poller/handler';
export { parseConfig } from './functions/core/config/load-config';
export { normalizeCall, normalizeInsights, parseListEnvelope } from './functions/adapters/plivo/payload-schemas';
`;

/**
 * Imports the module given as argument, then: the handler fails a run at once and its error's
 * stack is read, as logging a failed run does (with --enable-source-maps that first stack is
 * where Node reads the source map); the ready probe parses a config, a list page, a CDR and an
 * Insights body once each. Prints the times in ms and the process's RSS.
 */
const TIMER = `
const t0 = performance.now();
const m = await import(process.argv[1]);
const t1 = performance.now();
if (typeof m.parseConfig === 'function') {
  m.parseConfig({});
  const uuid = '6653422-91b6-4716-9fad-9463daaeeec2';
  const page = m.parseListEnvelope({ meta: { next: null }, objects: [{ call_uuid: uuid, end_time: '2024-01-15 14:05:00' }] });
  m.normalizeCall(page.objects[0]);
  m.normalizeInsights({ call_uuid: uuid, plivo_quality_score: '4.2', jitter: 3 }, uuid);
} else if (typeof m.handler === 'function') {
  try { await m.handler(null, null); } catch (error) { String(error.stack); }
}
const t2 = performance.now();
console.log('COLD ' + JSON.stringify({ importMs: t1 - t0, afterMs: t2 - t1, rss: process.memoryUsage().rss }));
`;

interface Sample {
  importMs: number;
  /** The handler: reading its first error stack; the ready probe: the first parses. */
  afterMs: number;
  rss: number;
}

async function bundle(
  dir: string,
  name: string,
  entry: { file: string } | { contents: string },
  options: { stockCredentials?: boolean } = {},
): Promise<{ file: string; bytes: number; mapBytes: number; metafile: Metafile }> {
  const file = join(dir, `${name}.mjs`);
  const result = await build({
    ...pollerEsbuildOptions(),
    // The SDK as anyone bundles it: with its default credential chain.
    ...(options.stockCredentials ? { alias: {} } : {}),
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'js' as const } }),
    outfile: file,
    metafile: true,
    logLevel: 'error',
  });
  return {
    file,
    bytes: statSync(file).size,
    mapBytes: statSync(`${file}.map`).size,
    metafile: result.metafile as Metafile,
  };
}

/** Loading `file` in a fresh Node process. */
function sample(node: string, file: string, flags: string[]): Sample {
  const out = execFileSync(node, [...flags, '--input-type=module', '-e', TIMER, pathToFileURL(file).href], {
    // As on Lambda: no options but those given here.
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  const line = out.split('\n').find((l) => l.startsWith('COLD '));
  if (!line) throw new Error(`no timing from the child process: ${out.slice(0, 500)}`);
  return JSON.parse(line.slice('COLD '.length)) as Sample;
}

/** The median of each figure over the samples. */
function median(samples: Sample[]): Sample {
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return {
    importMs: mid(samples.map((x) => x.importMs)),
    afterMs: mid(samples.map((x) => x.afterMs)),
    rss: mid(samples.map((x) => x.rss)),
  };
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

/** Bytes of the output each package (or the project's own code) accounts for, largest first. */
function largestInputs(metafile: Metafile): Array<[string, number]> {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = m ? (m[1] as string) : path.replace(/\/[^/]+$/, '/');
      byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
    }
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]);
}

export async function runColdStartBench(options: { node?: string } = {}) {
  const node = options.node ?? process.execPath;
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'zentrunk-cold-'));
  try {
    const handler = await bundle(dir, 'index', { file: join(ROOT, 'functions/poller/handler.ts') });
    const sdk = await bundle(dir, 'sdk', { contents: SDK_BASELINE }, { stockCredentials: true });
    const sdkLambda = await bundle(dir, 'sdk-lambda', { contents: SDK_BASELINE });
    const probe = await bundle(dir, 'ready', { contents: READY_PROBE });

    // Interleaved, so that whatever else the machine does weighs on all three alike.
    const samples = {
      handler: [] as Sample[],
      sdk: [] as Sample[],
      sdkLambda: [] as Sample[],
      maps: [] as Sample[],
      ready: [] as Sample[],
    };
    for (let i = 0; i < RUNS; i++) {
      samples.sdk.push(sample(node, sdk.file, []));
      samples.sdkLambda.push(sample(node, sdkLambda.file, []));
      samples.handler.push(sample(node, handler.file, []));
      samples.maps.push(sample(node, handler.file, ['--enable-source-maps']));
      samples.ready.push(sample(node, probe.file, []));
    }
    const h = median(samples.handler);
    const s = median(samples.sdk);
    const sl = median(samples.sdkLambda);
    const m = median(samples.maps);
    const r = median(samples.ready);

    console.log(
      `\n6. Cold start: import() of the bundled handler in a fresh process (Node ${version}, median of ${RUNS})`,
    );
    const line = (label: string, bytes: string, ms: number, note: string) =>
      console.log(
        `  ${label.padEnd(34)} ${bytes.padStart(8)} ${`${ms.toFixed(1)} ms`.padStart(10)}   ${note}`,
      );
    line('SDK clients only (DynamoDB + SNS)', kb(sdk.bytes), s.importMs, 'baseline');
    line(
      "  with Lambda's credential sources",
      kb(sdkLambda.bytes),
      sl.importMs,
      `${(sl.importMs / s.importMs).toFixed(2)}x (the handler bundle's credential chain)`,
    );
    line(
      'handler bundle (index.mjs)',
      kb(handler.bytes),
      h.importMs,
      `${(h.importMs / s.importMs).toFixed(2)}x the baseline`,
    );
    line(
      '  then its first parses',
      '',
      r.importMs + r.afterMs,
      `${((r.importMs + r.afterMs) / s.importMs).toFixed(2)}x (import ${r.importMs.toFixed(0)} ms, then a config, list page, CDR, insights ${r.afterMs.toFixed(0)} ms)`,
    );
    line(
      '  with --enable-source-maps',
      `+${kb(handler.mapBytes)}`,
      m.importMs,
      `${signed(m.importMs - h.importMs)} ms to load`,
    );
    console.log(
      `  first error stack after loading: ${h.afterMs.toFixed(1)} ms, with --enable-source-maps ` +
        `${m.afterMs.toFixed(1)} ms (${signed(m.afterMs - h.afterMs)} ms, once per container); ` +
        `RSS then ${mb(h.rss)} vs ${mb(m.rss)}`,
    );
    console.log(`  largest inputs of the handler bundle (bytes in index.mjs):`);
    for (const [name, bytes] of largestInputs(handler.metafile).slice(0, 10)) {
      console.log(`    ${name.padEnd(44)} ${kb(bytes).padStart(8)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
