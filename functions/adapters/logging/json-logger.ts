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
 * dropped, and every registered secret string (the Plivo auth token) is scrubbed wherever
 * it appears, even inside an error message that quoted it.
 */
export class JsonLogger implements Logger {
  /** Shared with children, so a secret registered after a child was made is still scrubbed there. */
  private secrets = new Set<string>();
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
    if (value.length >= 6) this.secrets.add(value);
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
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    return out;
  }
}
