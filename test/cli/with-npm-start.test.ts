/**
 * The newcomer's setup: `npm start` in one terminal, the CLI in another. While npm start runs it
 * announces its sandbox and embedded table in .local-state/, and the CLI uses them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoTraffic } from '../../sandbox/traffic';
import { LOCAL_RUN_FILE, localRun } from '../../scripts/local-run';
import { type CliRun, NO_ACCOUNTS, runCommand } from '../support/cli';
import { SimulatedTime } from '../support/simulated-time';
import { tempDir } from '../support/temp-dir';

const cwd = tempDir('zentrunk-npm-start-');
mkdirSync(join(cwd, 'config'));
const config = join(cwd, 'config', 'fast.json');
writeFileSync(
  config,
  JSON.stringify({
    plivo: { maxRequestsPer5s: 300 },
    grouping: { enabled: true },
    notifications: { deploymentName: 'demo' },
  }),
);

it('status, explain and silence use the sandbox and table of a running npm start', async () => {
  const hangup = demoTraffic(new Date()).find((c) => c.scenario === 'zentrunk-hangup')?.callUuid as string;
  const controller = new AbortController();
  const results: Record<string, CliRun> = {};
  let work: Promise<void> | undefined;
  await localRun({
    argv: ['--runs', '5', '--interval', '1', '--config', config],
    env: NO_ACCOUNTS,
    announceFile: join(cwd, LOCAL_RUN_FILE),
    signal: controller.signal,
    // Time stands still: npm start waits between runs 1 and 2 while the CLI works, however
    // long that takes (a second run would add notices to what the CLI reads).
    clock: new SimulatedTime(Date.now()),
    out: (text) => {
      if (work || !text.startsWith('run 1 ')) return;
      // After the first run, from "another terminal" in the same directory.
      work = (async () => {
        const cli = (argv: string[]) => runCommand(argv, { cwd, env: NO_ACCOUNTS });
        results.status = await cli(['status']);
        results.explain = await cli(['explain', hangup]);
        results.silence = await cli([
          'silence',
          'add',
          '-m',
          'trunk=acme.zt.plivo.com',
          '--for',
          '30m',
          '-c',
          'test',
        ]);
      })().finally(() => controller.abort());
    },
  });
  await work;

  const where = `the embedded table of npm start (pid ${process.pid})`;
  expect(results.status?.code).toBe(0);
  expect(results.status?.stdout).toContain(`zentrunk-alerts status  ${where}`);
  expect(results.status?.stdout).toMatch(
    /Firing incidents\n {2}RULE +WHERE +SEVERITY +SIZE +SINCE +NOTICES\n/,
  );
  // The config npm start uses is the one the CLI judges by.
  expect(results.explain?.stdout).toContain('judged by config/fast.json: incident mode');
  expect(results.explain?.stdout).toMatch(/^zentrunk-hangup +FIRES critical +3020 rtp_timeout by zentrunk/m);
  expect(results.explain?.stdout).toContain(`the poller has judged this call (${where})`);
  expect(results.explain?.stdout).toMatch(
    /zentrunk-hangup: incident [0-9a-f]{16} \(firing, \d+ calls?, 1 notice sent, last .* UTC\); counted into its incident at/,
  );
  expect(results.silence?.code).toBe(0);
  expect(results.silence?.stdout).toMatch(
    new RegExp(`^Silence s-[0-9a-f]{8} added to ${where.replace(/[()]/g, '\\$&')}`),
  );
});
