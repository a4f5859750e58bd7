/** `npm start` as a user runs it: embedded sandbox + dynalite, the real handler, alerts printed. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localRun } from '../../scripts/local-run';

// The default config/dev.json plus a larger Plivo request budget, so the test is quick.
const dir = mkdtempSync(join(tmpdir(), 'zentrunk-local-run-'));
const config = join(dir, 'fast.json');
writeFileSync(
  config,
  JSON.stringify({ plivo: { maxRequestsPer5s: 300 }, notifications: { deploymentName: 'demo' } }),
);
const noPlivoAccount = { PATH: process.env.PATH };

describe('npm start', () => {
  it('--once prints every alert of the demo traffic readably, then a run summary', async () => {
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
    expect(text).toContain('DynamoDB (embedded dynalite)');
    for (const rule of ['low-quality-score', 'packet-loss', 'zentrunk-hangup', 'stir-unverified']) {
      expect(text).toMatch(new RegExp(`\\[demo (CRITICAL|WARNING|INFO)\\] ${rule}: `));
    }
    expect(text).toContain('What to check next:');
    expect(text).toMatch(/run completed: window .* \| alerts sent \d+/);
  });

  it('--json prints one parseable JSON object per alert', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const result = await localRun({
      argv: ['--once', '--json', '--config', config],
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
  });

  it('rejects an unknown option with the usage', async () => {
    await expect(localRun({ argv: ['--bogus'], env: noPlivoAccount })).rejects.toThrow(/bogus/);
  });
});
