import { asciiSubject } from '../alert-message';
import type { AlertLedger, AlertMessage, DeadLetter, Logger, Notifier } from '../ports';
import { cutText, plainLine } from '../untrusted-text';

/** The operations message naming notices the channel refused for good and that were set aside. */
export function renderDeadLetterMessage(
  letters: readonly DeadLetter[],
  options: { deploymentName: string; now: Date },
): AlertMessage {
  const first = letters[0];
  const dedupKey = `zentrunk-alerts:operations:${options.deploymentName}:dead-letters#${first?.deadLetteredAt ?? options.now.toISOString()}`;
  const shown = letters.slice(0, 20);
  const text = [
    `WARNING: ${letters.length} notification(s) were refused for good by the alert topic and set aside.`,
    'Every other alert keeps flowing; these were not delivered to anyone.',
    '',
    // The subject and SNS's words can carry CDR text: one line each, capped.
    ...shown.flatMap((l) => [
      `- ${cutText(plainLine(l.subject), 200, '…')}`,
      `    key:    ${cutText(plainLine(l.key), 200, '…')}`,
      `    reason: ${cutText(plainLine(l.reason), 300, '…')} (refused in ${l.rejections} run(s), set aside ${l.deadLetteredAt})`,
      ...(l.covers.length > 0 ? [`    it carried ${l.covers.length} finding(s) of a catch-up summary`] : []),
    ]),
    ...(letters.length > shown.length ? [`  ... and ${letters.length - shown.length} more`] : []),
    '',
    'What to do:',
    '  - Read the reason: SNS InvalidParameter usually means a message attribute or size SNS will not take; check the poller logs for the key above.',
    '  - The dead letters stay in the state table (pk deadletter#<poller>) until their retention ends; `zentrunk-alerts status` lists them.',
    '  - Look at the call or group named by the key in the Plivo console: nobody was paged for it.',
  ].join('\n');
  return {
    dedupKey,
    subject: asciiSubject(
      `[${options.deploymentName} WARNING] ${letters.length} alert(s) refused by SNS and set aside`,
    ),
    text,
    shortText:
      `WARNING zentrunk alerter: ${letters.length} alert(s) refused by SNS for good and set aside; see the operations email`.slice(
        0,
        160,
      ),
    json: {
      version: 1,
      kind: 'operations',
      state: 'firing',
      dedupKey,
      failure: 'alerts-dead-lettered',
      deadLetters: shown.map((l) => ({ ...l, subject: plainLine(l.subject), reason: plainLine(l.reason) })),
      count: letters.length,
      at: options.now.toISOString(),
    },
    attributes: { severity: 'warning', rule: 'poller-health', state: 'firing' },
  };
}

/**
 * Names every dead letter not yet reported in one operations message, then marks them
 * reported. Runs after every poll run, so a run that died before reporting is caught up by
 * the next. Never throws: the dead letters stay listed (and counted in the AlertsDeadLettered
 * metric) if the message cannot go out, and the next run tries again.
 */
export async function reportDeadLetters(deps: {
  store: Pick<AlertLedger, 'listDeadLetters' | 'markDeadLettersReported'>;
  opsNotifier: Notifier;
  logger: Logger;
  deploymentName: string;
  now: Date;
}): Promise<number> {
  try {
    const unreported = (await deps.store.listDeadLetters()).filter((l) => !l.reported);
    if (unreported.length === 0) return 0;
    const message = renderDeadLetterMessage(unreported, {
      deploymentName: deps.deploymentName,
      now: deps.now,
    });
    const { messageId } = await deps.opsNotifier.publish(message);
    await deps.store.markDeadLettersReported(unreported.map((l) => l.key));
    deps.logger.warn('Operations told about dead letters', {
      deadLetters: unreported.map((l) => l.key),
      messageId,
    });
    return unreported.length;
  } catch (error) {
    deps.logger.error('Could not report dead letters to operations; the next run tries again', {
      error: (error as Error).message,
    });
    return 0;
  }
}
