/** `npm start` as a user runs it: embedded sandbox + dynalite, the real handler, alerts printed. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoTraffic } from '../../sandbox/traffic';
import { laterTraffic, type LocalRunAnnouncement, localRun, sandboxTraffic } from '../../scripts/local-run';
import { SimulatedTime } from '../support/simulated-time';
import { tempDir } from '../support/temp-dir';

const REPO = join(__dirname, '..', '..');
const TSX = join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');

// Schema defaults (one alert per bad call) plus a larger Plivo request budget, so the test is quick.
const dir = tempDir('zentrunk-local-run-');
const config = join(dir, 'fast.json');
writeFileSync(
  config,
  JSON.stringify({ plivo: { maxRequestsPer5s: 300 }, notifications: { deploymentName: 'demo' } }),
);
// The shipped default (config/dev.json: incident mode) with the same budget.
const shipped = JSON.parse(readFileSync(join(REPO, 'config', 'dev.json'), 'utf8')) as Record<string, unknown>;
const incidentConfig = join(dir, 'dev-fast.json');
writeFileSync(incidentConfig, JSON.stringify({ ...shipped, plivo: { maxRequestsPer5s: 300 } }));
// TMPDIR: the run's temporary directory, which the suite checks for leftovers (global-setup.cjs).
const noPlivoAccount = { PATH: process.env.PATH, TMPDIR: tmpdir() };

/** Runs a repository script in a child process (Node 24, like npm scripts). */
function script(
  args: string[],
  options: { closeStdoutAfterFirstLine?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSX, ...args], { cwd: dir, env: noPlivoAccount });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Like `| head -1`: the reader goes away after the first line.
      if (options.closeStdoutAfterFirstLine && stdout.includes('\n')) child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start', () => {
  it('--once prints every alert of the demo traffic readably, then a run summary that explains its numbers', async () => {
    const out: string[] = [];
    const result = await localRun({
      argv: ['--once', '--config', config],
      env: noPlivoAccount,
      out: (t) => out.push(t),
    });

    expect(result.failures).toBe(0);
    const [summary] = result.summaries;
    expect(summary?.alertsPublished).toBeGreaterThanOrEqual(10);
    const text = out.join('\n');
    expect(text).toContain('Plivo sandbox http://127.0.0.1:');
    expect(text).toContain('(demo traffic, seed 1)');
    expect(text).toContain('DynamoDB (embedded dynalite)');
    for (const rule of ['low-quality-score', 'packet-loss', 'zentrunk-hangup', 'stir-unverified']) {
      expect(text).toMatch(new RegExp(`\\[demo (CRITICAL|WARNING|INFO)\\] ${rule}: `));
    }
    expect(text).toContain('What to check next:');
    expect(text).toMatch(/run 1: polling \(rate-limited as deployed/);
    expect(text).toMatch(
      /run 1 completed in \d+\.\d s: calls that ended \d\d:\d\d:\d\d -> \d\d:\d\d:\d\d UTC/,
    );
    expect(text).toMatch(/ {2}calls {5}\d+ listed by Plivo/);
    expect(text).toMatch(
      / {2}insights {2}\d+ fetched, \d+ not ready yet \(Plivo answers 404 until it has them/,
    );
    expect(text).toMatch(/ {2}sent {6}\d+ notifications; 0 silenced \(recorded, not sent\); 0 already sent/);
    expect(text).toContain(
      `  skipped   2 records Plivo returned in a form that could not be read (no call_uuid, a bad end_time)`,
    );
  });

  it('runs the shipped default config in incident mode: one notice per rule and trunk', async () => {
    const out: string[] = [];
    const result = await localRun({
      argv: ['--once', '--config', incidentConfig],
      env: noPlivoAccount,
      out: (t) => out.push(t),
    });
    const text = out.join('\n');
    expect(text).toContain('(incident mode: grouped by trunk_domain)');
    expect(text).toMatch(/\[zentrunk-dev CRITICAL\] zentrunk-hangup: 1 call \| /);
    const summary = result.summaries[0];
    expect(summary?.groupNotices).toBe(summary?.alertsPublished);
    expect(summary?.findingsGrouped).toBe(summary?.findings);
  });

  it('--json prints one parseable JSON object per alert, the same ones for the same --seed', async () => {
    const keys = async (seed: string) => {
      const out: string[] = [];
      const err: string[] = [];
      const result = await localRun({
        argv: ['--once', '--json', '--seed', seed, '--config', config],
        env: noPlivoAccount,
        out: (t) => out.push(t),
        err: (t) => err.push(t),
      });
      const alerts = out.map(
        (line) => JSON.parse(line) as { dedupKey: string; attributes: Record<string, string> },
      );
      expect(alerts).toHaveLength(result.summaries[0]?.alertsPublished ?? -1);
      expect(alerts.every((a) => a.dedupKey.startsWith('zentrunk-alerts:') && a.attributes.severity)).toBe(
        true,
      );
      expect(err.join('\n')).toMatch(/run completed/);
      return alerts.map((a) => a.dedupKey).sort();
    };
    const first = await keys('1');
    expect(await keys('1')).toEqual(first);
    expect(await keys('2')).not.toEqual(first);
  });

  it('on a terminal, redraws a progress line during a run and a countdown between runs; stops with a message', async () => {
    const out: string[] = [];
    const drawn: string[] = [];
    const controller = new AbortController();
    const announceFile = join(dir, 'state', 'npm-start.json');
    let announced: LocalRunAnnouncement | null = null;
    // The progress line and the countdown run on simulated time, moved on by what the run
    // prints: however quick or slow the run is, the same seconds pass at the same points.
    const time = new SimulatedTime(Date.now());
    let alertsInRun1 = 0;
    const result = await localRun({
      argv: ['--runs', '3', '--interval', '2', '--config', config],
      env: noPlivoAccount,
      tty: true,
      announceFile,
      clock: time,
      out: (t) => {
        out.push(t);
        announced ??= existsSync(announceFile)
          ? (JSON.parse(readFileSync(announceFile, 'utf8')) as LocalRunAnnouncement)
          : null;
        // Each alert is printed while its run is still going: a second passes with each.
        if (/^\[demo [A-Z]+\] /m.test(t)) {
          if (!out.some((line) => line.startsWith('run 1 '))) alertsInRun1 += 1;
          time.advance(1000);
        }
        // Run 1 has reported and the countdown starts right after: let the 2 s interval pass.
        if (t.startsWith('run 1 ')) setImmediate(() => time.advance(2000));
        // Ctrl-C once the second run has reported.
        if (t.startsWith('run 2 ')) controller.abort();
      },
      write: (t) => drawn.push(t),
      signal: controller.signal,
    });

    expect(result).toMatchObject({ stopped: true, failures: 0 });
    expect(result.summaries).toHaveLength(2);
    // Each frame goes back to the line's start and erases it (CR, ESC [2K) before drawing.
    const CLEAR = '\r\u001b[2K';
    const frames = drawn.filter((f) => f !== CLEAR).map((f) => f.replace(CLEAR, ''));
    expect(drawn.every((f) => f.startsWith(CLEAR))).toBe(true);
    // Four frames a (simulated) second while run 1 polls, counting its Plivo requests and seconds.
    const progress = /^run 1: polling, (\d+) Plivo requests, (\d+) s \(rate-limited as deployed\)$/;
    const run1 = frames.filter((f) => f.startsWith('run 1: '));
    expect(alertsInRun1).toBeGreaterThanOrEqual(10);
    expect(run1).toHaveLength(4 * alertsInRun1);
    for (const frame of run1) expect(frame).toMatch(progress);
    expect(run1.at(-1)).toMatch(new RegExp(`, ${alertsInRun1} s \\(`));
    expect(Number(progress.exec(run1.at(-1) ?? '')?.[1])).toBeGreaterThan(0);
    // The countdown, redrawn each second, after run 1's progress line.
    const countdown = frames.filter((f) => f.startsWith('next run in '));
    expect(countdown).toEqual(['next run in 2 s (Ctrl-C to stop)', 'next run in 1 s (Ctrl-C to stop)']);
    expect(frames.indexOf(countdown[0] as string)).toBeGreaterThan(frames.lastIndexOf(run1.at(-1) as string));
    // On a terminal the progress line replaces the "polling..." line.
    expect(out.join('\n')).not.toContain('run 1: polling');
    expect(out.at(-1)).toMatch(/^stopped \(Ctrl-C\) after 2 runs: \d+ notifications sent, 0 failed runs$/);
    // Nothing left running on the clock: the progress line and the countdown are gone.
    expect(time.pending).toBe(0);
    // While it ran, the CLI could find its sandbox and table; the file is gone afterwards.
    expect(announced).toMatchObject({
      pid: process.pid,
      seed: 1,
      plivo: { baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/) },
      dynamo: { tableName: 'zentrunk-alerts-local' },
    });
    expect(existsSync(announceFile)).toBe(false);
  });

  it('stops on an invalid config before starting anything', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ rules: { 'packet-loss': { thresholdPct: -1 } } }));
    const out: string[] = [];
    await expect(
      localRun({ argv: ['--config', bad], env: noPlivoAccount, out: (t) => out.push(t) }),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('rules.packet-loss.thresholdPct: Too small'),
    });
    expect(out).toEqual([]);
  });

  it('rejects an unknown option with a usage error, and prints the usage for --help', async () => {
    await expect(localRun({ argv: ['--bogus'], env: noPlivoAccount })).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(/bogus/),
    });
    await expect(localRun({ argv: ['--traffic', 'weekly'], env: noPlivoAccount })).rejects.toMatchObject({
      name: 'UsageError',
      message: '--traffic must be demo or seasonal (got "weekly")',
    });
    const out: string[] = [];
    await localRun({ argv: ['--help'], env: noPlivoAccount, out: (t) => out.push(t) });
    expect(out.join('\n')).toMatch(
      /^Usage: npm start -- \[options\][\s\S]*--seed <n>[\s\S]*--traffic <name>/,
    );
  });

  it('--traffic seasonal serves the seasonal demo and names its events; later runs add its next calls', () => {
    const now = new Date('2026-12-03T16:00:00Z');
    const first = sandboxTraffic('seasonal', now, 1);
    expect(first.label).toBe(
      `seasonal demo traffic: 14 days, ${first.calls.length.toLocaleString('en-US')} calls`,
    );
    expect(first.events).toHaveLength(4);
    expect(first.events[0]).toMatch(/ trunk-stop: acme\.zt\.plivo\.com /);
    expect(first.calls.at(-1)?.endTime.getTime()).toBeLessThan(now.getTime());
    // A Thursday at 11:00 in New York: the big trunk is busy.
    const next = new Date(now.getTime() + 10 * 60_000);
    const later = laterTraffic('seasonal', 1, 2, now, next);
    expect(later.length).toBeGreaterThan(50);
    expect(later.every((c) => c.endTime >= now && c.endTime < next && c.scenario === 'healthy')).toBe(true);
    // The default is the demo traffic, as before.
    expect(sandboxTraffic('demo', now, 1)).toEqual({
      calls: demoTraffic(now, 1),
      label: 'demo traffic',
      events: [],
    });
  });
});

describe('the scripts from a shell', () => {
  it('print their usage for --help, without a stack trace', async () => {
    for (const file of [
      'scripts/local-run.ts',
      'scripts/bench.ts',
      'scripts/soak.ts',
      'scripts/create-table.ts',
      'scripts/write-config-schema.ts',
      'sandbox/main.ts',
    ]) {
      const { code, stdout, stderr } = await script([join(REPO, file), '--help']);
      expect({ file, code, stderr }).toEqual({ file, code: 0, stderr: '' });
      expect(stdout).toMatch(/^Usage: /);
    }
  }, 60_000);

  it('npm start ends quietly when its reader goes away (`npm start -- --json | head -1`)', async () => {
    const { code, stdout, stderr } = await script(
      [join(REPO, 'scripts/local-run.ts'), '--json', '--runs', '2', '--interval', '1', '--config', config],
      { closeStdoutAfterFirstLine: true },
    );
    expect(JSON.parse(stdout.split('\n')[0] ?? '')).toHaveProperty('dedupKey');
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
  }, 60_000);
});
