/**
 * The Plivo sandbox on its own: `npx tsx sandbox/main.ts [--port 8089]` (or PLIVO_SANDBOX_PORT).
 * Serves two hours of demo traffic, then adds a minute of new calls every minute, each minute
 * with one alerting incident in turn, so a poller pointed at it always has something to find.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startPlivoSandbox } from './plivo-sandbox';
import { ALERTING_INCIDENTS, demoTraffic, seededTraffic } from './traffic';

/** Fake, public demo credentials (the same as `npm start` uses): not secrets. */
export const DEMO_AUTH_ID = 'MADEMO0000000000SANDBOX';
export const DEMO_AUTH_TOKEN = 'sandbox-token-not-a-secret';

const USAGE = `Usage: npx tsx sandbox/main.ts [--port 8089] [--seed 1]

  --port <n>   port on 127.0.0.1 (default 8089, or PLIVO_SANDBOX_PORT)
  --seed <n>   demo traffic seed (default 1; the same seed gives the same calls)
  --help       this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: 'string' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port ?? process.env.PLIVO_SANDBOX_PORT ?? 8089);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${values.port}`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`invalid seed: ${values.seed}`);

  let last = new Date();
  const sandbox = await startPlivoSandbox({
    authId: DEMO_AUTH_ID,
    authToken: DEMO_AUTH_TOKEN,
    calls: demoTraffic(last, seed),
    port,
  });
  let minute = 0;
  const timer = setInterval(() => {
    const now = new Date();
    const incident = ALERTING_INCIDENTS[minute % ALERTING_INCIDENTS.length];
    sandbox.addCalls(
      seededTraffic({
        seed: seed * 10_000 + minute,
        from: last,
        to: now,
        callsPerMinute: 2,
        incidents: incident ? [incident] : 'none',
      }),
    );
    last = now;
    minute += 1;
  }, 60_000);

  const callsUrl = `${sandbox.baseUrl}/v1/Account/${DEMO_AUTH_ID}/Zentrunk/Call/`;
  process.stdout.write(
    [
      `Plivo Zentrunk sandbox on ${sandbox.baseUrl}`,
      `  PLIVO_API_BASE_URL=${sandbox.baseUrl}`,
      `  PLIVO_AUTH_ID=${DEMO_AUTH_ID}`,
      `  PLIVO_AUTH_TOKEN=${DEMO_AUTH_TOKEN}`,
      `  try: curl -s --user ${DEMO_AUTH_ID}:${DEMO_AUTH_TOKEN} '${callsUrl}?limit=2'`,
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  const stop = () => {
    clearInterval(timer);
    void sandbox.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Run only as a script (tsx), not when a test imports this module.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  });
}
