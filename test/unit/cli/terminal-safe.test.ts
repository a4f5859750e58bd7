import { terminalSafe } from '../../../cli/io';
import { runCommand } from '../../support/cli';

const HOSTILE = 'NORMAL\u001b]0;PWNED\u0007\u001b[2J\u001b[31mFAKE\r\u009b2Jline';

describe('terminalSafe', () => {
  it('drops control characters and escape sequences, keeping newlines and tabs', () => {
    expect(terminalSafe(`${HOSTILE}\nnext\tcol`, false)).toBe('NORMAL]0;PWNED[2J[31mFAKE2Jline\nnext\tcol');
  });

  it('keeps only plain colour codes on a colour terminal', () => {
    const out = terminalSafe(`\u001b[1mbold\u001b[0m ${HOSTILE}`, true);
    expect(out.startsWith('\u001b[1mbold\u001b[0m ')).toBe(true);
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/\u001b\]|\u0007|\u001b\[2J|\r|\u009b/);
  });
});

describe('the CLI prints nothing that can steer a terminal', () => {
  it('even when what it echoes (here a file name) carries escape sequences', async () => {
    const run = await runCommand(['validate-config', `/nonexistent/${HOSTILE}.json`]);
    expect(run.code).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toContain('PWNED');
    // eslint-disable-next-line no-control-regex
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
