import type { AlertLedger } from '../../ports';
import { isSettled, type SendContext, sendNotice } from '../send-notice';

export interface OutboxContext {
  store: Pick<AlertLedger, 'listOutbox'>;
  send: SendContext;
}

/**
 * A message recorded in the outbox and not seen through (the run died after publishing it, or
 * its publish failed) is sent first, as it was, so what it covered is not sent again. While its
 * entry stays, it alone owns the findings it covers: they are not sent one by one. Returns the
 * dedup keys of those findings.
 */
export async function resendOutbox(ctx: OutboxContext): Promise<ReadonlySet<string>> {
  const ownedByOutbox = new Set<string>();
  for (const entry of await ctx.store.listOutbox()) {
    const result = await sendNotice(ctx.send, {
      key: entry.key,
      kind: 'catch-up-summary',
      ruleId: 'catch-up-summary',
      silenceSubject: null,
      whenSilenced: 'record',
      render: () => entry.message,
      covers: entry.covers,
      outbox: true,
      logFields: { recovered: true },
    });
    if (!isSettled(result)) {
      for (const key of entry.covers) ownedByOutbox.add(key);
    }
  }
  return ownedByOutbox;
}
