import type { AlertMessage, Notifier } from '../../core/ports';
import { plainLine, plainText } from '../../core/untrusted-text';

export interface ConsoleNotifierOptions {
  /** 'text': a readable block per alert; 'jsonl': one JSON object per line, for piping into jq. */
  format: 'text' | 'jsonl';
  /** Receives one alert at a time, without a trailing newline (default: stdout, one line added). */
  write?: (text: string) => void;
}

const RULE = '='.repeat(72);
const THIN_RULE = '-'.repeat(72);

/**
 * JSON.stringify escapes C0 controls but not DEL, the C1 controls (U+009B is a terminal's CSI),
 * the Unicode line separators nor bidirectional overrides: escaped here (the JSON means the
 * same), so a CDR value can neither break the line, drive the terminal nor reorder the text.
 */
function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Prints alerts instead of publishing them: the local runner's notifier. */
export class ConsoleNotifier implements Notifier {
  private readonly format: 'text' | 'jsonl';
  private readonly write: (text: string) => void;
  private count = 0;

  constructor(options: ConsoleNotifierOptions) {
    this.format = options.format;
    this.write = options.write ?? ((text) => process.stdout.write(`${text}\n`));
  }

  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    this.count += 1;
    const messageId = `console-${this.count}`;
    if (this.format === 'jsonl') {
      // Escaped strings (newlines, controls): each alert stays on one line.
      this.write(
        terminalSafeJson({
          messageId,
          dedupKey: message.dedupKey,
          subject: message.subject,
          attributes: message.attributes,
          json: message.json,
        }),
      );
    } else {
      // Alerts carry CDR text: no escape sequence or carriage return reaches the terminal.
      this.write(
        [RULE, plainLine(message.subject), THIN_RULE, plainText(message.text).trimEnd(), RULE, ''].join('\n'),
      );
    }
    return { messageId };
  }
}
