import type { PendingInsightsItem } from '../../ports';
import { type BatchContext, type BatchPlan, workBatch } from './batch';

/**
 * The calls owed from earlier runs (their Insights were not ready, or an alert failed) are
 * worked on first, as one batch, before anything new is read.
 */
export async function workOwedCalls(
  ctx: BatchContext,
  plan: BatchPlan,
  owed: readonly PendingInsightsItem[],
): Promise<void> {
  if (owed.length === 0) return;
  await workBatch(
    ctx,
    plan,
    owed.map((p) => ({
      call: p.call,
      priorAttempts: p.attempts,
      priorErrors: p.errors ?? 0,
      firstSeenAt: p.firstSeenAt,
      wasPending: true,
      knownInsights: p.insights,
    })),
    null,
  );
}
