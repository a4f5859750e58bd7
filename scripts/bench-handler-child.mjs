/* global process */
// One Lambda container for `npm run bench` (scripts/bench-scale.ts): imports the bundled
// handler exactly as Lambda would (index.mjs, built like `cdk synth` builds it), then invokes
// it each time the parent says so, with a context whose remaining time runs out like Lambda's.
// Reports each run's summary, duration and this process's peak RSS over IPC. Plain JavaScript,
// no tsx: the process's memory is the bundle's, not a TypeScript loader's.
import { randomUUID } from 'node:crypto';
import { peakRssMb } from './peak-rss.mjs';

const bundle = process.argv[2];
const { handler } = await import(bundle);

process.on('message', async (message) => {
  if (message.type === 'exit') process.exit(0);
  if (message.type !== 'run') return;
  const deadline = Date.now() + message.timeoutMs;
  const context = {
    awsRequestId: randomUUID(),
    functionName: 'zentrunk-alerts-bench',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  const started = Date.now();
  let summary = null;
  let error = null;
  try {
    // A manual invocation of the default account unless the parent names the event.
    summary = await handler(message.event ?? {}, context);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    summary = err?.summary ?? null;
  }
  process.send({
    type: 'result',
    ms: Date.now() - started,
    summary,
    error,
    maxRssMb: peakRssMb(),
    memory: process.memoryUsage(),
  });
});
process.send({ type: 'ready', maxRssMb: peakRssMb() });
