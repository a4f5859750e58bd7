import { renderDeadLetterMessage, reportDeadLetters } from '../../../functions/core/health/dead-letters';
import type { AlertMessage, DeadLetter } from '../../../functions/core/ports';

const NOW = new Date('2026-11-20T12:00:00Z');
const letter = (key: string, reported = false): DeadLetter => ({
  key,
  subject: `[zentrunk CRITICAL] high-rtt: ${key}`,
  reason: 'InvalidParameterException: Invalid parameter: Message too long',
  rejections: 3,
  deadLetteredAt: '2026-11-20T11:55:00.000Z',
  reported,
  covers: [],
});

function harness(letters: DeadLetter[], publishFails = false) {
  const sent: AlertMessage[] = [];
  const marked: string[][] = [];
  const logs: string[] = [];
  const deps = {
    store: {
      listDeadLetters: async () => letters,
      markDeadLettersReported: async (keys: string[]) => {
        marked.push(keys);
      },
    },
    opsNotifier: {
      publish: async (m: AlertMessage) => {
        if (publishFails) throw new Error('SNS down');
        sent.push(m);
        return { messageId: 'ops-1' };
      },
    },
    logger: {
      debug: () => {},
      info: () => {},
      warn: (m: string) => logs.push(m),
      error: (m: string) => logs.push(m),
    },
    deploymentName: 'zt-prod',
    now: NOW,
  };
  return { deps, sent, marked, logs };
}

describe('reportDeadLetters', () => {
  it('names every unreported dead letter in one operations message, then marks them reported', async () => {
    const h = harness([
      letter('zentrunk-alerts:high-rtt#a'),
      letter('zentrunk-alerts:jitter#b'),
      letter('old', true),
    ]);
    await expect(reportDeadLetters(h.deps)).resolves.toBe(2);
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]?.text).toContain('zentrunk-alerts:high-rtt#a');
    expect(h.sent[0]?.text).toContain('zentrunk-alerts:jitter#b');
    expect(h.sent[0]?.text).not.toContain('key:    old');
    expect(h.sent[0]?.text).toContain('Message too long');
    expect(h.sent[0]?.subject).toBe('[zt-prod WARNING] 2 alert(s) refused by SNS and set aside');
    expect(h.marked).toEqual([['zentrunk-alerts:high-rtt#a', 'zentrunk-alerts:jitter#b']]);
  });

  it('sends nothing when every dead letter was reported', async () => {
    const h = harness([letter('old', true)]);
    await expect(reportDeadLetters(h.deps)).resolves.toBe(0);
    expect(h.sent).toHaveLength(0);
  });

  it('keeps them unreported (the next run retries) when the message cannot go out, without throwing', async () => {
    const h = harness([letter('a')], true);
    await expect(reportDeadLetters(h.deps)).resolves.toBe(0);
    expect(h.marked).toHaveLength(0);
    expect(h.logs.join('\n')).toMatch(/next run tries again/);
  });
});

describe('renderDeadLetterMessage', () => {
  it('keeps the SMS form within 160 characters and lists at most 20 letters', () => {
    const many = Array.from({ length: 25 }, (_, i) => letter(`k${i}`));
    const m = renderDeadLetterMessage(many, { deploymentName: 'zt', now: NOW });
    expect(m.shortText.length).toBeLessThanOrEqual(160);
    expect(m.text).toContain('... and 5 more');
  });
});
