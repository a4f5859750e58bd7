import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliUsageError } from './errors';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command understands. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
  json: { type: 'boolean', default: false },
} as const satisfies OptionSpec;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** parseArgs with the common options; anything it refuses is a usage error naming the option. */
export function parseCommandArgs(argv: string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    throw new CliUsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** "90s", "30m", "2h", "1d", "1h30m" → milliseconds; a usage error names the option otherwise. */
export function parseDuration(text: string, option: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)\s*(s|min|m|h|d|w)/g)];
  const joined = parts.map((p) => p[0].replace(/\s+/g, '')).join('');
  if (parts.length === 0 || joined !== text.replace(/\s+/g, '')) {
    throw new CliUsageError(`${option} must be a duration like 30m, 2h, 1d or 1h30m (got "${text}")`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 's'] ?? 0), 0);
  if (!(ms > 0)) throw new CliUsageError(`${option} must be longer than 0 (got "${text}")`);
  return ms;
}

/**
 * An instant: "now", a duration ago ("2h", "7d"), or an ISO 8601 time ("2026-11-20T22:00Z",
 * "2026-11-20 22:00", a date alone is midnight UTC). Times without an offset are UTC.
 */
export function parseInstant(text: string, option: string, now: Date): Date {
  const value = text.trim();
  if (value === 'now') return now;
  if (/^\d+(\.\d+)?\s*(s|min|m|h|d|w)/.test(value) && !/^\d{4}-/.test(value)) {
    return new Date(now.getTime() - parseDuration(value.replace(/\s*ago$/, ''), option));
  }
  let iso = value.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso += 'Z';
  const ms = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso) || Number.isNaN(ms)) {
    throw new CliUsageError(
      `${option} must be "now", a time ago like 2h or 7d, or an ISO time like 2026-11-20T22:00Z (got "${text}")`,
    );
  }
  return new Date(ms);
}

/** A whole number in [min, max] from an option. */
export function parseCount(text: string, option: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliUsageError(`${option} must be a whole number from ${min} to ${max} (got "${text}")`);
  }
  return n;
}
