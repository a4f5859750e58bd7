/**
 * `backtest --traffic seasonal`: the CLI's own sandbox serves the seasonal demo's 14 days and
 * lists their events, so that a window around one can be replayed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeSeasonalEvents,
  type SeasonalEvent,
  type SeasonalTraffic,
  seasonalDemo,
} from '../../sandbox/seasonal-traffic';
import { LOCAL_RUN_FILE, type LocalRunAnnouncement } from '../../scripts/local-run';
import { NO_ACCOUNTS, runCommand } from '../support/cli';
import { tempDir } from '../support/temp-dir';

const MIN = 60_000;
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const now = () => NOW;

let demo: SeasonalTraffic;
let burst: SeasonalEvent;
beforeAll(() => {
  demo = seasonalDemo(NOW);
  burst = demo.events.find((e) => e.kind === 'premium-rate-burst') as SeasonalEvent;
});

describe('backtest --traffic seasonal', () => {
  it('replays a window around the burst from a sandbox of its own, and names the events (--json)', async () => {
    const from = new Date(burst.start.getTime() - 5 * MIN);
    const to = new Date(burst.end.getTime() + 5 * MIN);
    const { code, stdout, stderr } = await runCommand(
      ['backtest', '--traffic', 'seasonal', '--from', from.toISOString(), '--to', to.toISOString(), '--json'],
      { now },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const json = JSON.parse(stdout) as {
      source: string;
      sandboxEvents: string[];
      calls: { listed: number; withInsights: number };
    };
    const inWindow = demo.calls.filter((c) => c.endTime >= from && c.endTime < to);
    expect(inWindow.filter((c) => c.toCountry === 'ST')).toHaveLength(burst.burst?.calls ?? -1);
    expect(json.calls).toMatchObject({ listed: inWindow.length, withInsights: inWindow.length });
    expect(json.source).toContain('seasonal demo traffic of the last 14 days, seed 1');
    expect(json.sandboxEvents).toEqual(describeSeasonalEvents(demo.events));
  });

  it('--no-insights --compare: a spend cap set in the second config pages the burst, the first (no history yet) does not', async () => {
    const cwd = tempDir('zentrunk-seasonal-cap-');
    const capped = join(cwd, 'capped.json');
    writeFileSync(capped, JSON.stringify({ trafficRules: { spend: { maxSpendPerHour: 100 } } }));
    const from = new Date(burst.start.getTime() - 10 * MIN);
    const to = new Date(burst.end.getTime() + 10 * MIN);
    const { code, stdout, stderr } = await runCommand(
      [
        'backtest',
        '--traffic',
        'seasonal',
        '--no-insights',
        '--from',
        from.toISOString(),
        '--to',
        to.toISOString(),
        '--compare',
        capped,
        '--json',
      ],
      { now, cwd, env: NO_ACCOUNTS },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const json = JSON.parse(stdout) as {
      insightsAsked: boolean;
      calls: { withInsights: number };
      configs: Array<{ rules: Record<string, { fired: number; resolved: number }> }>;
    };
    expect(json.insightsAsked).toBe(false);
    expect(json.calls.withInsights).toBe(0);
    const [shipped, withCap] = json.configs;
    // An hour of history teaches no baseline: the shipped config cannot page the burst yet.
    expect(shipped?.rules.spend?.fired ?? 0).toBe(0);
    // The cap needs none: $1,000 an hour of calls to ST crosses $100 within minutes.
    expect(withCap?.rules.spend).toMatchObject({ fired: 1 });
  });

  it('lists the events before it fetches, on stderr', async () => {
    const { code, stdout, stderr } = await runCommand(
      [
        'backtest',
        '--traffic',
        'seasonal',
        '--from',
        burst.start.toISOString(),
        '--to',
        new Date(burst.start.getTime() + 2 * MIN).toISOString(),
      ],
      { now },
    );
    expect(code).toBe(0);
    const lines = stderr.split('\n');
    expect(lines[0]).toBe(
      "The sandbox's seasonal traffic has 4 events for the volume and spend rules (--from and --to around one replay it):",
    );
    expect(lines.slice(1, 5)).toEqual(describeSeasonalEvents(demo.events).map((line) => `  ${line}`));
    expect(lines[5]).toMatch(
      /^Fetching calls .* from a Plivo sandbox \(seasonal demo traffic of the last 14 days/,
    );
    expect(stdout).toMatch(
      /^ {2}calls {4}\d+ from a Plivo sandbox \(seasonal demo traffic of the last 14 days, seed 1;/m,
    );
  });

  it('refuses an unknown traffic, and a traffic the running npm start does not serve (exit code 2)', async () => {
    const bogus = await runCommand(['backtest', '--traffic', 'weekly'], { now });
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('--traffic must be demo or seasonal (got "weekly")');

    const cwd = tempDir('zentrunk-seasonal-');
    mkdirSync(join(cwd, '.local-state'));
    const announcement: LocalRunAnnouncement = {
      pid: process.pid,
      startedAt: NOW.toISOString(),
      configFile: join(__dirname, '..', '..', 'config', 'dev.json'),
      seed: 1,
      plivo: { baseUrl: 'http://127.0.0.1:9', authId: 'MADEMO0000000000SANDBOX', authToken: 'x' },
      dynamo: null,
    };
    writeFileSync(join(cwd, LOCAL_RUN_FILE), JSON.stringify(announcement));
    const mismatch = await runCommand(['backtest', '--traffic', 'seasonal'], { now, cwd, env: NO_ACCOUNTS });
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(
      `npm start (pid ${process.pid}) is running with demo traffic, and the CLI uses its sandbox: ` +
        'start it with `npm start -- --traffic seasonal`',
    );
  });
});
