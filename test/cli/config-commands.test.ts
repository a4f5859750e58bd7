/** The CLI's shape: help on every command, exit codes, errors that say what to do, colour only on a terminal. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../cli/main';
import { projectConfigJsonSchema } from '../../lib/config/project-config';
import { NO_ACCOUNTS, runCommand } from '../support/cli';
import { tempDir } from '../support/temp-dir';

const REPO = join(__dirname, '..', '..');
const dir = tempDir('zentrunk-cli-config-');
const bad = join(dir, 'bad.json');
writeFileSync(
  bad,
  JSON.stringify({ rules: { 'packet-loss': { thresholdPct: -1 } }, poll: { overlapMinutes: 'ten' } }),
);

describe('zentrunk-alerts', () => {
  it('lists its commands, the environment it reads and its exit codes', async () => {
    const { code, stdout } = await runCommand(['--help']);
    expect(code).toBe(0);
    for (const name of [
      'backtest',
      'explain',
      'test-alert',
      'status',
      'silence',
      'validate-config',
      'print-schema',
    ]) {
      expect(stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect(stdout).toContain('STATE_TABLE_NAME');
    expect(stdout).toMatch(/Exit codes: 0 done, 1 failed/);
    expect((await runCommand([])).stdout).toBe(stdout);
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help prints its usage and exits 0', async (name) => {
    const { code, stdout, stderr } = await runCommand([name, '--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(new RegExp(`^Usage: zentrunk-alerts ${name}`));
    expect((await runCommand(['help', name])).stdout).toBe(stdout);
  });

  it('exits 2 on an unknown command, with a guess', async () => {
    const { code, stdout, stderr } = await runCommand(['stauts']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: unknown command "stauts" \(did you mean status\?\)/);
  });

  it('exits 2 on an unknown option, naming it, with the command usage', async () => {
    const { code, stderr } = await runCommand(['status', '--verbose']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: Unknown option '--verbose'/);
    expect(stderr).toContain('Usage: zentrunk-alerts status');
  });

  it('exits 3 and says what to set when a command needs the state table and there is none', async () => {
    const { code, stderr } = await runCommand(['status']);
    expect(code).toBe(3);
    expect(stderr).toContain("error: status needs the poller's state table, and none is set");
    expect(stderr).toContain('Set STATE_TABLE_NAME');
    expect(stderr).toContain('or run `npm start` in another terminal');
  });

  it('exits 3 naming both variables when only one Plivo credential is set', async () => {
    const { code, stderr } = await runCommand(['explain', '90b6eb07-796c-4d86-a4fd-44ed11667ddb'], {
      env: { ...NO_ACCOUNTS, PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX' },
    });
    expect(code).toBe(3);
    expect(stderr).toContain('Only one of PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN is set');
  });
});

describe('validate-config', () => {
  it('accepts the shipped configs and says what they do', async () => {
    const { code, stdout } = await runCommand(['validate-config', join(REPO, 'config', 'dev.json')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^valid: .*config\/dev\.json$/m);
    expect(stdout).toContain(
      'incident mode: findings grouped by trunk_domain (at most 1 update per incident)',
    );
    expect(stdout).toContain('windowed rules on: packet-loss-spike');
    expect(stdout).toContain('off: packet-loss');

    const json = await runCommand(['validate-config', join(REPO, 'config', 'prod.json'), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, deploymentName: 'zentrunk-prod' });
  });

  it('lists each bad field with its path and exits 1', async () => {
    const { code, stdout } = await runCommand(['validate-config', bad]);
    expect(code).toBe(1);
    expect(stdout).toContain(`invalid: ${bad}`);
    expect(stdout).toContain('  - rules.packet-loss.thresholdPct: Too small: expected number to be >0');
    expect(stdout).toContain('  - poll.overlapMinutes: Invalid input: expected number, received string');
    const json = await runCommand(['validate-config', bad, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, issues: expect.any(Array) });
    expect(json.code).toBe(1);
  });

  it('exits 1 for a file that is not there, and 2 without a file', async () => {
    expect((await runCommand(['validate-config', join(dir, 'missing.json')])).stdout).toMatch(
      /cannot read file/,
    );
    expect((await runCommand(['validate-config'])).code).toBe(2);
  });

  it('refuses a bad --config on other commands with exit code 3 and a hint', async () => {
    const { code, stderr } = await runCommand(['test-alert', '--config', bad]);
    expect(code).toBe(3);
    expect(stderr).toContain(`error: Invalid alert config (${bad})`);
    expect(stderr).toContain('zentrunk-alerts validate-config FILE');
  });
});

describe('print-schema', () => {
  it('prints the JSON Schema of config files (the committed config/config.schema.json)', async () => {
    const { code, stdout } = await runCommand(['print-schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(projectConfigJsonSchema());
  });
});

describe('colour', () => {
  it('is used only on a terminal, and never with NO_COLOR', async () => {
    const file = join(REPO, 'config', 'dev.json');
    const ESC = '\u001b[';
    expect((await runCommand(['validate-config', file], { stdoutIsTTY: true })).stdout).toContain(
      `${ESC}32mvalid`,
    );
    expect((await runCommand(['validate-config', file])).stdout).not.toContain(ESC);
    const noColor = await runCommand(['validate-config', file], {
      stdoutIsTTY: true,
      env: { ...NO_ACCOUNTS, NO_COLOR: '1' },
    });
    expect(noColor.stdout).not.toContain(ESC);
  });
});
