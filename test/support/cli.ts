/** Runs `zentrunk-alerts` commands in-process, recording what they print and their exit code. */
import type { CliIo } from '../../cli/io';
import { runCli } from '../../cli/main';
import { tempDir } from './temp-dir';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Raw writes to stderr (the progress bar). */
  stderrRaw: string;
}

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Where a running `npm start` would be looked for (default: an empty temporary directory). */
  cwd?: string;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
}

const emptyDir = tempDir('zentrunk-cli-');

/** The environment of a machine with no accounts: no Plivo, no AWS, no colour forcing. */
export const NO_ACCOUNTS: NodeJS.ProcessEnv = { PATH: process.env.PATH, USER: 'tester' };

export async function runCommand(argv: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  let raw = '';
  const io: CliIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    errRaw: (text) => (raw += text),
    stdoutIsTTY: options.stdoutIsTTY ?? false,
    stderrIsTTY: options.stderrIsTTY ?? false,
    columns: 120,
    env: options.env ?? NO_ACCOUNTS,
    cwd: options.cwd ?? emptyDir,
    now: options.now ?? (() => new Date()),
  };
  const code = await runCli(argv, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), stderrRaw: raw };
}
