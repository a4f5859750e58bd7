import type { Logger } from '../../core/ports';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /token|secret|password|authorization|credential/i;
const REDACTED = '[REDACTED]';

export interface JsonLoggerOptions {
  level?: Level;
  /** Where lines go; default stdout (Lambda sends stdout to CloudWatch Logs). */
  write?: (line: string) => void;
  /** Fields on every line (service, run id). */
  context?: Record<string, unknown>;
}

/**
 * Structured JSON lines. Two layers keep secrets out: values under secret-sounding keys are
 * dropped, and every registered secret string (the Plivo auth token, the base64 credentials
 * of its Authorization header) is scrubbed wherever it appears, even inside an error message
 * that quoted it, and also in the form JSON escapes it to.
 */
export class JsonLogger implements Logger {
  /**
   * Shared with children, so a secret registered after a child was made is still scrubbed there.
   * Holds each secret as written in a JSON line (escaped), longest first.
   */
  private secrets: { sorted: string[] } = { sorted: [] };
  private readonly level: Level;
  private readonly write: (line: string) => void;
  private readonly context: Record<string, unknown>;

  constructor(options: JsonLoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.context = options.context ?? {};
  }

  /** Registers a value that must never be printed. Short values are ignored (too many false hits). */
  addSecret(value: string): void {
    if (typeof value !== 'string' || value.length < 6) return;
    // Lines are scrubbed once serialised: a secret with a quote or a backslash appears escaped.
    const forms = [value, JSON.stringify(value).slice(1, -1)];
    const all = new Set([...this.secrets.sorted, ...forms]);
    // Longest first: a secret that contains another is replaced whole, not around the inner one.
    this.secrets.sorted = [...all].sort((a, b) => b.length - a.length);
  }

  child(context: Record<string, unknown>): JsonLogger {
    const child = new JsonLogger({
      level: this.level,
      write: this.write,
      context: { ...this.context, ...context },
    });
    child.secrets = this.secrets;
    return child;
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }

  private log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const record = { timestamp: new Date().toISOString(), level, message, ...this.context, ...fields };
    this.write(this.scrub(JSON.stringify(record, (key, value) => this.redact(key, value))));
  }

  private redact(key: string, value: unknown): unknown {
    if (key !== '' && SECRET_KEY.test(key) && value !== null && typeof value !== 'object') return REDACTED;
    if (value instanceof Error) return { name: value.name, message: value.message };
    return value;
  }

  /** Replaces every registered secret in a text (e.g. an error message about to be printed). */
  scrubText(text: string): string {
    return this.scrub(text);
  }

  private scrub(line: string): string {
    let out = line;
    for (const secret of this.secrets.sorted)
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }
}
