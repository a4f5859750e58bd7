/**
 * `zentrunk-alerts`: the on-call toolkit. One process per command; every command has --help,
 * prints aligned tables (colour on a terminal) or --json, and ends with an exit code that
 * means something (see errors.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StateStoreError } from '../functions/adapters/dynamodb/dynamodb-state-store';
import { AlertPublishError } from '../functions/adapters/sns/sns-notifier';
import { ConfigError } from '../functions/core/config/load-config';
import { FatalSourceError, SourceUnavailableError } from '../functions/core/errors';
import { ENV } from '../functions/core/contract';
import { parseCommandArgs } from './args';
import type { Command } from './command';
import { backtestCommand } from './commands/backtest';
import { explainCommand } from './commands/explain';
import { silenceCommand } from './commands/silence';
import { statusCommand } from './commands/status';
import { testAlertCommand } from './commands/test-alert';
import { printSchemaCommand, validateConfigCommand } from './commands/validate-config';
import { CliError, CliUsageError, EXIT } from './errors';
import { type CliIo, colorsFor, processIo, terminalSafe } from './io';

export const COMMANDS: readonly Command[] = [
  backtestCommand,
  explainCommand,
  testAlertCommand,
  statusCommand,
  silenceCommand,
  validateConfigCommand,
  printSchemaCommand,
];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: zentrunk-alerts <command> [options]     (npx zentrunk-alerts … in this repository)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command takes --help, and --json for scripts.

Where it works: against a Plivo sandbox and no state table by default; \`npm start\` running in
this directory lends the CLI its sandbox and table; the same variables as \`npm start\` and the
Lambda switch each part to the real thing:
  ${ENV.plivoAuthId} + ${ENV.plivoAuthToken}   your Plivo account (${ENV.plivoApiBaseUrl} to override)
  ${ENV.stateTableName}                  the poller's state table (AWS credentials; AWS_ENDPOINT_URL_DYNAMODB)
  ${ENV.alertTopicArn}                   the alert topic (test-alert)
  ${ENV.alertConfigFile}                 the config (default config/dev.json; --config on each command)

Exit codes: 0 done, 1 failed (invalid config, not found, Plivo/AWS error, poller failing),
2 wrong command line, 3 something is not set up (credentials, table, topic).`;
}

/** "did you mean": the command whose name is closest (edit distance <= 3). */
function closest(name: string): string | null {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i += 1) {
      let prev = row[0] ?? 0;
      row[0] = i;
      for (let j = 1; j <= b.length; j += 1) {
        const cur = row[j] ?? 0;
        row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return row[b.length] ?? Infinity;
  };
  let best: { name: string; d: number } | null = null;
  for (const c of COMMANDS) {
    const d = distance(name, c.name);
    if (d <= 3 && (!best || d < best.d)) best = { name: c.name, d };
  }
  return best?.name ?? null;
}

/** An error as the CLI explains it: message, what to do, exit code. Never a stack trace (DEBUG=1 for one). */
export function explainError(error: unknown): { message: string; hint?: string; exitCode: number } {
  const err = error instanceof Error ? error : new Error(String(error));
  if (err instanceof CliError) return { message: err.message, hint: err.hint, exitCode: err.exitCode };
  if (err instanceof ConfigError) {
    return {
      message: err.message,
      hint: 'Fix the file (`zentrunk-alerts validate-config FILE` checks it), or pass another with --config.',
      exitCode: EXIT.setup,
    };
  }
  if (err.name === 'PlivoAuthError' || err.name === 'CredentialsError') {
    return {
      message: err.message,
      hint: `Plivo refused the credentials: check ${ENV.plivoAuthId} and ${ENV.plivoAuthToken} (Plivo console > Overview).`,
      exitCode: EXIT.setup,
    };
  }
  if (err instanceof SourceUnavailableError || err instanceof FatalSourceError) {
    return {
      message: err.message,
      hint: 'Plivo did not answer as expected; check status.plivo.com and try again.',
      exitCode: EXIT.failed,
    };
  }
  const awsCredentials =
    /CredentialsProviderError|Could not load credentials|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken|security token/i;
  if (awsCredentials.test(`${err.name} ${err.message}`)) {
    return {
      message: err.message,
      hint: 'No usable AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and AWS_REGION, as for the aws CLI.',
      exitCode: EXIT.setup,
    };
  }
  if (err instanceof StateStoreError) {
    return {
      message: err.message,
      hint: /ResourceNotFound|non-existent table|not found/i.test(err.message)
        ? `No such table: check ${ENV.stateTableName} (the stack's StateTableName output) and AWS_REGION.`
        : `Check ${ENV.stateTableName}, AWS_REGION and that your AWS identity may read and write the table.`,
      exitCode: /ResourceNotFound|non-existent table/i.test(err.message) ? EXIT.setup : EXIT.failed,
    };
  }
  if (err instanceof AlertPublishError) {
    const hint =
      err.code === 'NotFound' || err.code === 'NotFoundException'
        ? `No such topic: check ${ENV.alertTopicArn} (the stack's AlertTopicArn output) and its region.`
        : /AuthorizationError|AccessDenied|KMS/.test(err.code)
          ? 'Your AWS identity may not publish to this topic (sns:Publish, and kms:GenerateDataKey/Decrypt on its key).'
          : 'SNS refused the message; try again, and check the topic in the AWS console.';
    return { message: err.message, hint, exitCode: EXIT.failed };
  }
  return { message: `${err.name}: ${err.message}`, exitCode: EXIT.failed };
}

/** Runs one command line; returns the exit code. Output goes through `io`. */
export async function runCli(argv: string[], rawIo: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const colors = colorsFor(rawIo.stdoutIsTTY, rawIo.env);
  const errColors = colorsFor(rawIo.stderrIsTTY, rawIo.env);
  // One choke point: nothing from Plivo or the state table can steer the terminal.
  const io: CliIo = {
    ...rawIo,
    out: (text) => rawIo.out(terminalSafe(text, colors.enabled)),
    err: (text) => rawIo.err(terminalSafe(text, errColors.enabled)),
  };
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.out(topic ? topic.usage : mainUsage());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(version());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const guess = closest(name);
    io.err(`${errColors.red('error')}: unknown command "${name}"${guess ? ` (did you mean ${guess}?)` : ''}`);
    io.err(`Commands: ${COMMANDS.map((c) => c.name).join(', ')}. \`zentrunk-alerts --help\` for more.`);
    return EXIT.usage;
  }
  try {
    const { values, positionals } = parseCommandArgs(rest, command.options);
    if (values.help) {
      io.out(command.usage);
      return EXIT.ok;
    }
    return await command.run({ io, colors, values, positionals, json: values.json === true });
  } catch (error) {
    const { message, hint, exitCode } = explainError(error);
    io.err(`${errColors.red('error')}: ${message}`);
    if (hint) io.err(hint);
    if (error instanceof CliUsageError) io.err(`\n${command.usage}`);
    if (io.env.DEBUG && error instanceof Error && error.stack) io.err(error.stack);
    return exitCode;
  }
}

// Run only as a program (the bin, or tsx), not when a test imports this module.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runFromProcess();
}

/** The program: process I/O, Ctrl-C stops long commands, a closed pipe ends quietly. */
export async function runFromProcess(): Promise<void> {
  const controller = new AbortController();
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nCtrl-C: stopping (Ctrl-C again to quit at once)\n');
    controller.abort();
  });
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  process.exitCode = await runCli(process.argv.slice(2), processIo(controller.signal));
  // Open handles (sockets of the SDK clients, a sandbox) must not keep the command alive.
  setTimeout(() => process.exit(), 200).unref();
}
