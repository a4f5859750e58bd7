/**
 * The Plivo sandbox on its own: `npx tsx sandbox/main.ts [--port 8089]` (or PLIVO_SANDBOX_PORT).
 * Serves two hours of demo traffic, then adds a minute of new calls every minute, each minute
 * with one alerting incident in turn, so a poller pointed at it always has something to find.
 * With `--traffic seasonal`: the seasonal demo's 14 days, then its next calls every minute.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startPlivoSandbox } from './plivo-sandbox';
import { isDemoTrafficKind } from './demo-history';
import { describeSeasonalEvents, seasonalDemo, seasonalTraffic } from './seasonal-traffic';
import { ALERTING_INCIDENTS, demoTraffic, type SandboxCall, seededTraffic } from './traffic';

/** Fake, public demo credentials (the same as `npm start` uses): not secrets. */
export const DEMO_AUTH_ID = 'MADEMO0000000000SANDBOX';
export const DEMO_AUTH_TOKEN = 'sandbox-token-not-a-secret';

const USAGE = `Usage: npx tsx sandbox/main.ts [--port 8089] [--seed 1] [--traffic demo]

  --port <n>        port on 127.0.0.1 (default 8089, or PLIVO_SANDBOX_PORT)
  --seed <n>        demo traffic seed (default 1; the same seed gives the same calls)
  --traffic <name>  demo (default: 2 h with an incident for every rule, then a minute of calls
                    with one every minute) or seasonal (14 days with a weekly rhythm per trunk
                    and four volume and spend events, listed at the start; then its next calls)
  --help            this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: 'string' },
      seed: { type: 'string', default: '1' },
      traffic: { type: 'string', default: 'demo' },
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
  const traffic = values.traffic;
  if (!isDemoTrafficKind(traffic)) throw new Error(`invalid traffic: ${traffic} (demo or seasonal)`);

  // Whole seconds: the first calls end before this instant, the next ones from it on.
  let last = new Date(Math.floor(Date.now() / 1000) * 1000);
  const seasonal = traffic === 'seasonal' ? seasonalDemo(last, seed) : null;
  const sandbox = await startPlivoSandbox({
    authId: DEMO_AUTH_ID,
    authToken: DEMO_AUTH_TOKEN,
    calls: seasonal ? seasonal.calls : demoTraffic(last, seed),
    port,
  });
  let minute = 0;
  const next = (from: Date, to: Date): SandboxCall[] => {
    if (seasonal) return seasonalTraffic({ seed, from, to, events: 'none' }).calls;
    const incident = ALERTING_INCIDENTS[minute % ALERTING_INCIDENTS.length];
    return seededTraffic({
      seed: seed * 10_000 + minute,
      from,
      to,
      callsPerMinute: 2,
      incidents: incident ? [incident] : 'none',
    });
  };
  const timer = setInterval(() => {
    const now = new Date();
    sandbox.addCalls(next(last, now));
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
      ...(seasonal
        ? [
            `Seasonal demo traffic, seed ${seed}: ${seasonal.calls.length.toLocaleString('en-US')} calls over 14 days; its events:`,
            ...describeSeasonalEvents(seasonal.events).map((line) => `  ${line}`),
          ]
        : []),
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
