/**
 * Exit codes, the same for every command:
 *   0  done (for `status`: the poller is healthy)
 *   1  the command ran and the answer is a failure: validate-config found the file invalid,
 *      the call does not exist, Plivo or AWS failed, the poller is failing
 *   2  the command line is wrong (unknown command or option, a bad value)
 *   3  something the command needs is not set up: credentials missing or refused, a --config
 *      that does not validate, the state table, the topic
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, setup: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI explains: its message, what to do about it, and its exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** What to do next, shown under the message. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A bad command line; the command's usage is shown with it. */
export class CliUsageError extends CliError {
  override name = 'CliUsageError';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}
