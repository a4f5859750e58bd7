/**
 * `backtest` over a Plivo sandbox given as "your account" (PLIVO_API_BASE_URL + credentials):
 * an hour of quiet traffic with a carrier incident on one trunk, replayed through the shipped
 * config and a per-call config side by side.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PlivoSandbox, startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import { generateTraffic } from '../../sandbox/traffic';
import { NO_ACCOUNTS, runCommand } from '../support/cli';
import { tempDir } from '../support/temp-dir';

const REPO = join(__dirname, '..', '..');
const SHIPPED = join(REPO, 'config', 'dev.json');
const AUTH_ID = 'MABACKTEST000000000001';
const AUTH_TOKEN = 'backtest-token-2b8e1f';
const MIN = 60_000;
const NOW = new Date(Date.now() - (Date.now() % 1000));
const at = (minutesAgo: number) => new Date(NOW.getTime() - minutesAgo * MIN);
const FROM = at(80).toISOString();
const TO = at(5).toISOString();

const dir = tempDir('zentrunk-backtest-');
const perCall = join(dir, 'per-call.json');
writeFileSync(perCall, JSON.stringify({ notifications: { deploymentName: 'per-call' } }));

let sandbox: PlivoSandbox;
let env: NodeJS.ProcessEnv;
const BAD_CALLS = 150;

beforeAll(async () => {
  const quiet = generateTraffic({ seed: 21, from: at(80), to: at(5), callsPerMinute: 1, incidents: 'none' });
  const bad = generateTraffic({ seed: 22, from: at(60), to: at(45), callsPerMinute: 30, incidents: 'none' })
    .filter((c) => c.trunkDomain === 'acme.zt.plivo.com' && c.answerTime !== null)
    .slice(0, BAD_CALLS);
  for (const c of bad) c.packetLossPct = 3.5;
  const calls = [...quiet, ...bad];
  for (const c of calls) c.insightsReadyAt = c.endTime;
  sandbox = await startPlivoSandbox({ authId: AUTH_ID, authToken: AUTH_TOKEN, calls });
  env = {
    ...NO_ACCOUNTS,
    PLIVO_API_BASE_URL: sandbox.baseUrl,
    PLIVO_AUTH_ID: AUTH_ID,
    PLIVO_AUTH_TOKEN: AUTH_TOKEN,
  };
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.resetRequests());

const backtest = (args: string[], options: { stderrIsTTY?: boolean } = {}) =>
  runCommand(['backtest', '--from', FROM, '--to', TO, '--rate', '300', ...args], {
    env,
    now: () => NOW,
    ...options,
  });

describe('backtest', () => {
  it('replays the window through the shipped config: the incident is one conversation; histograms mark the thresholds', async () => {
    const { code, stdout, stderr, stderrRaw } = await backtest(['--config', SHIPPED], { stderrIsTTY: true });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Backtest .* UTC -> .* UTC \(1 h 15 min\), a poll every 1 min as deployed$/m);
    expect(stdout).toMatch(new RegExp(`calls {4}\\d+ from Plivo API ${sandbox.baseUrl}; \\d+ with insights`));
    expect(stdout).toContain('incident mode: findings grouped by trunk_domain');
    // Per rule: calls matched, fired / updated / resolved, busiest groups.
    expect(stdout).toMatch(/RULE +CALLS MATCHED +FIRED +UPDATED +RESOLVED +SENT +BUSIEST GROUPS \(CALLS\)/);
    expect(stdout).toMatch(
      new RegExp(
        `packet-loss \\(off\\) +${BAD_CALLS} +0 +0 +0 +0 +trunk_domain=acme\\.zt\\.plivo\\.com \\(${BAD_CALLS}\\)`,
      ),
    );
    expect(stdout).toMatch(/packet-loss-spike \(windowed\) +- +1 +0 +1 +2/);
    expect(stdout).toMatch(/^ {2}2 notifications in all/m);
    // The histogram shows the incident's calls in their bin and the threshold in force.
    expect(stdout).toMatch(/^Packet loss \(%\) {2}\d+ calls, median/m);
    expect(stdout).toMatch(new RegExp(`^ +3 - 5 │█+ +${BAD_CALLS}$`, 'm'));
    expect(stdout).toMatch(/0\.9 - 1\.5 │ +\d+ {2}◀ >= 0\.9 %: counts for packet-loss-spike/);
    expect(stdout).toMatch(/^Quality score {2}/m);
    expect(stdout).toMatch(/^Jitter \(ms\) {2}/m);
    expect(stdout).toMatch(/^Post-dial delay \(ms\) {2}/m);
    // Progress on a terminal: a bar redrawn in place on stderr, gone at the end.
    expect(stderr).toMatch(/^Fetching calls .* from Plivo API/);
    const CLEAR = '\r\u001b[2K';
    const frames = stderrRaw.split(CLEAR).filter((frame) => frame !== '');
    expect(frames).toContainEqual(expect.stringMatching(/^insights {3}\[█+░*\] +\d+% {2}\d+\/\d+/));
    expect(frames.at(-1)).toMatch(/^replay {5}\[█+\] 100% /);
    expect(stderrRaw.endsWith(CLEAR)).toBe(true);
    // Within the request budget: one list page per 20 calls, one insights request per call.
    expect(sandbox.requests.every((r) => r.status === 200 || r.status === 404)).toBe(true);
  });

  it('--compare puts two configs side by side: the per-call config pages for every bad call', async () => {
    const { code, stdout, stderrRaw } = await backtest(['--config', SHIPPED, '--compare', perCall]);
    expect(code).toBe(0);
    expect(stdout).toContain('Notifications, A (config/dev.json) vs B (');
    expect(stdout).toMatch(/RULE +A FIRED\/UPD\/RES +A SENT +B FIRED\/UPD\/RES +B SENT +B - A/);
    const row = stdout.split('\n').find((line) => /^ {2}packet-loss {2}/.test(line));
    // A: off. B: 25 alerts in each of the runs that saw bad calls, the rest in catch-up summaries.
    expect(row).toMatch(/off 0\/0\/0 +0 +\d+\/0\/0 \(\+\d+ in catch-up\) +\d+ +\+\d+/);
    const totals = /total +(\d+) +(\d+) +\+(\d+)/.exec(stdout);
    expect(Number(totals?.[1])).toBe(2);
    expect(Number(totals?.[2])).toBeGreaterThanOrEqual(25);
    expect(Number(totals?.[3])).toBe(Number(totals?.[2]) - 2);
    // Not a terminal: no progress bar.
    expect(stderrRaw).toBe('');

    const json = JSON.parse((await backtest(['--config', SHIPPED, '--compare', perCall, '--json'])).stdout);
    expect(json.calls.listed).toBeGreaterThan(BAD_CALLS);
    expect(json.configs).toHaveLength(2);
    expect(json.configs[0]).toMatchObject({ notifications: 2, catchUpSummaries: 0 });
    expect(json.configs[0].rules['packet-loss-spike']).toMatchObject({ fired: 1, resolved: 1 });
    expect(json.configs[1].rules['packet-loss']).toMatchObject({ callsMatched: BAD_CALLS });
    expect(json.configs[1].catchUpSummaries).toBeGreaterThanOrEqual(1);
    expect(json.histograms.map((h: { metric: string }) => h.metric)).toEqual([
      'quality',
      'packet-loss',
      'jitter',
      'post-dial-delay',
    ]);
  });

  it('refuses a window Plivo cannot serve, with exit code 2', async () => {
    const old = await runCommand(['backtest', '--from', '100d'], { env });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('is more than 90 days ago: Plivo keeps no older calls');
    const backwards = await runCommand(['backtest', '--from', '1h', '--to', '2h'], { env });
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--to \(.*\) must be after --from/);
    expect((await runCommand(['backtest', '--from', 'yesterday'], { env })).stderr).toContain(
      '--from must be "now", a time ago like 2h or 7d, or an ISO time',
    );
    expect(sandbox.requests).toEqual([]);
  });

  it('exits 3 with what to check when Plivo refuses the credentials', async () => {
    const { code, stderr } = await runCommand(['backtest', '--from', '1h'], {
      env: { ...env, PLIVO_AUTH_TOKEN: 'not-the-token' },
    });
    expect(code).toBe(3);
    expect(stderr).toContain('Plivo refused the credentials: check PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN');
    expect(stderr).not.toContain('not-the-token');
  });
});
