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

  it('lets no escape sequence, carriage return or line separator from an alert reach the terminal', async () => {
    const out: string[] = [];
    const hostile: AlertMessage = {
      ...message,
      subject: 'subject\u001b]0;owned\u0007',
      text: 'Line one\r\u001b[2J\u009b31m\u2028Line two\n',
      json: { name: 'x\u2028y\u009bz\u202e', esc: '\u001b[2J' },
    };
    await new ConsoleNotifier({ format: 'text', write: (s) => out.push(s) }).publish(hostile);
    await new ConsoleNotifier({ format: 'jsonl', write: (s) => out.push(s) }).publish(hostile);
    const [text, jsonl] = out;
    expect(text).not.toMatch(/(?!\n)[\p{Cc}\u2028\u2029]/u);
    expect((text ?? '').split('\n').slice(1, 5)).toEqual([
      'subject ]0;owned ',
      '-'.repeat(72),
      'Line one  [2J 31m Line two',
      '='.repeat(72),
    ]);
    expect(jsonl).not.toMatch(/[\p{Cc}\u2028\u2029\u202e]/u);
    expect(JSON.parse(jsonl ?? '').json).toEqual(hostile.json);
  });
});
