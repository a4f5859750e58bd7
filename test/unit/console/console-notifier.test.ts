import { ConsoleNotifier } from '../../../functions/adapters/console/console-notifier';
import type { AlertMessage } from '../../../functions/core/ports';

const message: AlertMessage = {
  dedupKey: 'stir:abc',
  subject: '[dev] WARNING: unverified caller ID',
  text: 'Line one\nLine two\n',
  shortText: 'WARNING unverified caller ID',
  json: { rule: 'stir', severity: 'warning' },
  attributes: { severity: 'warning' },
};

describe('ConsoleNotifier', () => {
  it('prints a readable block per alert and numbers the message ids', async () => {
    const out: string[] = [];
    const notifier = new ConsoleNotifier({ format: 'text', write: (s) => out.push(s) });
    await expect(notifier.publish(message)).resolves.toEqual({ messageId: 'console-1' });
    await expect(notifier.publish(message)).resolves.toEqual({ messageId: 'console-2' });
    expect(out).toHaveLength(2);
    const lines = (out[0] ?? '').split('\n');
    expect(lines[0]).toMatch(/^=+$/);
    expect(lines[1]).toBe(message.subject);
    expect(lines[2]).toMatch(/^-+$/);
    expect(lines.slice(3, 5)).toEqual(['Line one', 'Line two']);
    expect(lines[5]).toMatch(/^=+$/);
  });

  it('prints one JSON object per line in jsonl mode', async () => {
    const out: string[] = [];
    const notifier = new ConsoleNotifier({ format: 'jsonl', write: (s) => out.push(s) });
    await notifier.publish(message);
    expect(out).toHaveLength(1);
    expect(out[0]).not.toContain('\n');
    expect(JSON.parse(out[0] ?? '')).toEqual({
      messageId: 'console-1',
      dedupKey: message.dedupKey,
      subject: message.subject,
      attributes: message.attributes,
      json: message.json,
    });
  });
});
