import type { PendingInsightsItem } from '../../ports';
import { keptMs, runIntervalMs } from '../../schedule';
import { requestsPerSecond } from '../plan-work';
import { type BatchContext, type BatchPlan, workBatch } from './batch';

/**
 * Owed calls get at most this share of a run's usable time (at the budget, one Insights request
 * each): the rest of the run lists and judges new calls, whatever is owed.
 */
const OWED_SHARE_OF_RUN = 1 / 3;
/** However short the run, at least this many owed calls are retried. */
const MIN_OWED_PER_RUN = 20;

export type OwedContext = BatchContext & { usableMs: () => number; summary: BatchContext['summary'] };

/** How many owed calls one run retries: its share of the run's time at the Plivo budget. */
export function owedCallsPerRun(ctx: OwedContext): number {
  const seconds = (Math.max(0, ctx.usableMs()) / 1000) * OWED_SHARE_OF_RUN;
  return Math.max(MIN_OWED_PER_RUN, Math.floor(requestsPerSecond(ctx.config) * seconds));
}

/**
 * The calls owed from earlier runs (their Insights were not ready, or an alert failed) are
 * worked on first, as one batch, before anything new is read: the oldest first, and no more
 * than the run's share for them (owedCallsPerRun). The others wait, untouched, for the next
 * run, so an outage's backlog never takes a whole run and never the same calls forever.
 */
export async function workOwedCalls(
  ctx: OwedContext,
  plan: BatchPlan,
  owed: readonly PendingInsightsItem[],
): Promise<void> {
  if (owed.length === 0) return;
  const oldestFirst = [...owed].sort(
    (a, b) =>
      a.firstSeenAt.localeCompare(b.firstSeenAt) ||
      (a.call.endTime ?? '').localeCompare(b.call.endTime ?? ''),
  );
  const now = oldestFirst.slice(0, owedCallsPerRun(ctx));
  ctx.summary.pendingRetried = now.length;
  // Their share of the run in time too: slow Insights answers must not take the whole run.
  const usableAtStart = ctx.usableMs();
  const owedDeadline = usableAtStart * (1 - OWED_SHARE_OF_RUN);
  const owedCtx: OwedContext = { ...ctx, outOfTime: () => ctx.outOfTime() || ctx.usableMs() < owedDeadline };
  if (now.length < owed.length) {
    ctx.logger.info("Owed calls past this run's share wait for the next run", {
      owed: owed.length,
      retriedNow: now.length,
    });
  }
  const intervalMs = runIntervalMs(ctx.scheduleIntervalMs);
  await workBatch(
    owedCtx,
    plan,
    now.map((p) => ({
      call: p.call,
      priorAttempts: p.attempts,
      priorErrors: p.errors ?? 0,
      priorWaitedMs: keptMs(p.waitedMs, p.attempts, intervalMs),
      priorFailedMs: keptMs(p.failedMs, p.errors ?? 0, intervalMs),
      firstSeenAt: p.firstSeenAt,
      wasPending: true,
      knownInsights: p.insights,
    })),
    null,
  );
}
