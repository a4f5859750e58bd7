import type { AlertMessage, Notifier } from '../../core/ports';

export interface ConsoleNotifierOptions {
  /** 'text': a readable block per alert; 'jsonl': one JSON object per line, for piping into jq. */
  format: 'text' | 'jsonl';
  /** Receives one alert at a time, without a trailing newline (default: stdout, one line added). */
  write?: (text: string) => void;
}

const RULE = '='.repeat(72);
const THIN_RULE = '-'.repeat(72);

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
      // JSON.stringify escapes newlines inside strings, so each alert stays on one line.
      this.write(
        JSON.stringify({
          messageId,
          dedupKey: message.dedupKey,
          subject: message.subject,
          attributes: message.attributes,
          json: message.json,
        }),
      );
    } else {
      this.write([RULE, message.subject, THIN_RULE, message.text.trimEnd(), RULE, ''].join('\n'));
    }
    return { messageId };
  }
}
