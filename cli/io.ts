import { utc as utcText } from '../functions/core/time';
/**
 * Where the CLI's output goes, and how it looks: tables aligned on the visible width, colour
 * only on a terminal (and never with NO_COLOR or TERM=dumb), writes that survive a reader
 * that went away. Commands get a CliIo; tests pass one that records.
 */

export interface CliIo {
  /** One line (or several) to stdout. */
  out(text: string): void;
  /** One line to stderr. */
  err(text: string): void;
  /** Raw text to stderr, no newline (the progress bar). */
  errRaw(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Terminal width for bars and tables (default 100). */
  columns: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now(): Date;
  /** Ctrl-C: long commands stop cleanly. */
  signal?: AbortSignal;
}

/** The real process: stdout/stderr, its environment and clock. */
export function processIo(signal?: AbortSignal): CliIo {
  return {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    errRaw: (text) => void process.stderr.write(text),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    columns: process.stdout.columns || process.stderr.columns || 100,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    signal,
  };
}

export interface Colors {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  /** critical red, warning yellow, info cyan, anything else as is. */
  severity(severity: string, text?: string): string;
}

/**
 * ANSI colours when the output is a terminal; NO_COLOR (any value) and TERM=dumb switch them
 * off, FORCE_COLOR (not "0") on.
 */
export function colorsFor(isTTY: boolean, env: NodeJS.ProcessEnv): Colors {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  const enabled = forced || (isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb');
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  const red = wrap(31, 39);
  const yellow = wrap(33, 39);
  const cyan = wrap(36, 39);
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red,
    yellow,
    green: wrap(32, 39),
    cyan,
    severity: (severity, text = severity) =>
      severity === 'critical'
        ? red(text)
        : severity === 'warning'
          ? yellow(text)
          : severity === 'info'
            ? cyan(text)
            : text,
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The width a terminal shows (colour codes take none). */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

export type Align = 'left' | 'right';

/**
 * Rows under a header, each column as wide as its widest cell, two spaces apart; numbers are
 * usually right-aligned. The last column is not padded (no trailing blanks).
 */
export function table(header: string[], rows: string[][], align: Align[] = [], indent = ''): string[] {
  const widths = header.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
        if (align[i] === 'right') return pad + cell;
        return i === cells.length - 1 ? cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** "2026-11-23 13:24:43 UTC", or "-" when there is none. */
export function utc(iso: string | number | Date | null | undefined): string {
  return utcText(iso, '-');
}

/** "2 h 5 min", "45 s": how long, for people. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 && m < 10 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** "1,234" */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Text from Plivo and the state table is untrusted: a CDR field can carry terminal escape
 * sequences (clear the screen, set the window title, fake a line). Everything the CLI prints
 * goes through this: control characters are dropped except newline and tab, and escape
 * sequences are dropped except, on a colour terminal, the plain colour codes the CLI itself
 * writes (SGR, `ESC [ … m`).
 */
export function terminalSafe(text: string, keepColours: boolean): string {
  // eslint-disable-next-line no-control-regex -- matching escape sequences is the point
  const sgr = /\u001b\[[0-9;]*m/y;
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    if (ch === 0x1b && keepColours) {
      sgr.lastIndex = i;
      const match = sgr.exec(text);
      if (match) {
        out += match[0];
        i += match[0].length - 1;
        continue;
      }
    }
    const control = (ch < 0x20 && ch !== 0x0a && ch !== 0x09) || ch === 0x7f || (ch >= 0x80 && ch <= 0x9f);
    if (!control) out += text[i];
  }
  return out;
}
