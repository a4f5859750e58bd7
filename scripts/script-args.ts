import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A bad command line: the message and the usage are printed, never a stack trace (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A script's options, plus `--help` / `-h` (values.help: print the usage and stop). Anything
 * parseArgs refuses becomes a UsageError naming the option.
 */
export function scriptArgs<const O extends Options>(options: O, argv: string[] = process.argv.slice(2)) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}`);
  }
}

/**
 * How a script ends on an error: a UsageError prints its message and the usage (exit 2), any
 * other error its message (exit 1). A stack trace only with DEBUG set.
 */
export function reportScriptError(error: unknown, usage: string): void {
  const err = error instanceof Error ? error : new Error(String(error));
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`${process.env.DEBUG ? (err.stack ?? err.message) : err.message}\n`);
  process.exitCode = 1;
}

/**
 * A reader that went away (`npm start -- --json | head -1`) is a normal end, not a crash: stop
 * quietly instead of dying on EPIPE with a stack trace.
 */
export function exitQuietlyOnClosedPipe(onClose: () => void = () => process.exit(0)): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') onClose();
      else throw error;
    });
  }
}
