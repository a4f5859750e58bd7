import type { OptionSpec } from './args';
import type { Colors, CliIo } from './io';

export interface CommandContext {
  io: CliIo;
  /** Colours for stdout (off when it is not a terminal, or with NO_COLOR). */
  colors: Colors;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** --json: one JSON document on stdout, nothing else there. */
  json: boolean;
}

export interface Command {
  name: string;
  /** One line for `zentrunk-alerts --help`. */
  summary: string;
  /** The whole `--help` text of the command. */
  usage: string;
  options: OptionSpec;
  run(ctx: CommandContext): Promise<number>;
}

/** A string option's value (undefined when absent). */
export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string option's values. */
export function listOption(ctx: CommandContext, name: string): string[] {
  const value = ctx.values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** Pretty JSON on stdout: what --json prints. */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.out(JSON.stringify(value, null, 2));
}
