import { type LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import type { Logger } from '../../core/ports';

type Level = 'debug' | 'info' | 'warn' | 'error';
const SECRET_KEY = /token|secret|password|authorization|credential/i;
const REDACTED = '[REDACTED]';

export interface JsonLoggerOptions {
  /**
   * The least severe level printed (default INFO). In Lambda the function's own log level
   * (advanced logging controls: AWS_LAMBDA_LOG_LEVEL) takes precedence, as Powertools does.
   */
  level?: Level;
  /** The `service` of every line. */
  serviceName?: string;
  /** Where lines go; default stdout (Lambda sends stdout to CloudWatch Logs). */
  write?: (line: string) => void;
  /** Fields on every line. */
  context?: Record<string, unknown>;
}

/** The secrets a logger and its children never print, each as written in a JSON line, longest first. */
class SecretRegistry {
  private sorted: string[] = [];

  add(value: string): void {
    if (typeof value !== 'string' || value.length < 6) return;
    // Lines are scrubbed once serialised: a secret with a quote or a backslash appears escaped.
    const forms = [value, JSON.stringify(value).slice(1, -1)];
    // Longest first: a secret that contains another is replaced whole, not around the inner one.
    this.sorted = [...new Set([...this.sorted, ...forms])].sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.sorted) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }
}

/** Powertools' JSON replacer hook: values under secret-sounding keys never reach the line. */
function redactSecretKeys(key: string, value: unknown): unknown {
  if (key !== '' && SECRET_KEY.test(key) && value !== null && typeof value !== 'object') return REDACTED;
  return value;
}

const toStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

/** What a child shares with the logger it came from. */
interface Shared {
  secrets: SecretRegistry;
  sink: (line: string) => void;
}

interface Inherited extends Shared {
  options: ConstructorOptions;
}

/**
 * Powertools' Logger, writing each finished line, scrubbed, to a sink. Powertools has no option
 * for where lines go nor a hook on the finished line, so this overrides `printLog` (protected,
 * meant for subclasses): serialise as Powertools does, scrub, write. Log buffering is not used:
 * buffered lines would bypass `printLog`.
 */
class ScrubbingLogger extends PowertoolsLogger {
  /**
   * The logger under construction: Powertools' constructor may already print (a warning about
   * the log level) before this class's fields are set.
   */
  private static constructing: Shared | undefined;
  private shared?: Shared;

  constructor(inherited: Inherited) {
    super(ScrubbingLogger.start(inherited));
    ScrubbingLogger.constructing = undefined;
    this.shared = { secrets: inherited.secrets, sink: inherited.sink };
  }

  private static start({ options, ...shared }: Inherited): ConstructorOptions {
    ScrubbingLogger.constructing = shared;
    return options;
  }

  get secrets(): SecretRegistry {
    return this.current().secrets;
  }

  protected override createLogger(options: ConstructorOptions = {}): ScrubbingLogger {
    return new ScrubbingLogger({ options, ...this.current() });
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const { secrets, sink } = this.current();
    sink(secrets.scrub(JSON.stringify(log.getAttributes(), this.getJsonReplacer())));
  }

  private current(): Shared {
    return this.shared ?? ScrubbingLogger.constructing ?? { secrets: new SecretRegistry(), sink: toStdout };
  }
}

/**
 * Structured JSON lines: the project's Logger port over Powertools for AWS Lambda's Logger (its
 * keys, the Lambda context through its `injectLambdaContext` middleware, the correlation id, the
 * function's log level), with the project's two layers that keep secrets out. Values under
 * secret-sounding keys are dropped (Powertools' `jsonReplacerFn`), and every registered secret
 * string (the Plivo auth token, the base64 credentials of its Authorization header) is scrubbed
 * from the finished line wherever it appears, even inside an error message or stack that quoted
 * it, and also in the form JSON escapes it to.
 */
export class JsonLogger implements Logger {
  /** The Powertools Logger underneath: for its middleware, correlation id and keys. */
  readonly powertools: PowertoolsLogger;
  private readonly secrets: SecretRegistry;

  constructor(options: JsonLoggerOptions = {}, powertools?: ScrubbingLogger) {
    this.secrets = powertools?.secrets ?? new SecretRegistry();
    this.powertools =
      powertools ??
      new ScrubbingLogger({
        options: {
          logLevel: options.level,
          serviceName: options.serviceName,
          persistentKeys: options.context,
          jsonReplacerFn: redactSecretKeys,
        },
        // Shared with children, so a secret registered after a child was made is still scrubbed there.
        secrets: this.secrets,
        sink: options.write ?? toStdout,
      });
  }

  /** Registers a value that must never be printed. Short values are ignored (too many false hits). */
  addSecret(value: string): void {
    this.secrets.add(value);
  }

  /** Replaces every registered secret in a text (e.g. an error message about to be printed). */
  scrubText(text: string): string {
    return this.secrets.scrub(text);
  }

  /** A logger with more fields on every line (and the same secrets, level and sink). */
  child(context: Record<string, unknown>): JsonLogger {
    return new JsonLogger({}, this.powertools.createChild({ persistentKeys: context }) as ScrubbingLogger);
  }

  debug(message: string, fields: Record<string, unknown> = {}): void {
    this.powertools.debug(message, fields);
  }
  info(message: string, fields: Record<string, unknown> = {}): void {
    this.powertools.info(message, fields);
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.powertools.warn(message, fields);
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.powertools.error(message, fields);
  }
}
