import { endMsOf } from '../../evaluated-calls';
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

/** The longest wait between two asks for a call's Insights (see lookAgainDue). */
export const LOOK_AGAIN_MAX_MS = 4 * 60_000;

/**
 * Whether an owed call is asked for its Insights again this run. Insights that did not exist at
 * the last ask are asked again once the call has aged by half its age then, at least a schedule
 * interval later and at most LOOK_AGAIN_MAX_MS (half a run early counts as on time): Insights a
 * minute or two late are asked every run as before, while a call whose Insights take long or
 * never come is asked ~16 times in an hour at a 1-minute schedule, not 60. The last ask falls
 * when its wait is up (`waitLeftMs`: poll.insightsWaitMinutes less the time waited), so it is
 * judged on its CDR alone on time. A call owed for an alert that could not be sent, or asked
 * before the last ask was kept, is always due.
 */
export function lookAgainDue(
  item: PendingInsightsItem,
  nowMs: number,
  intervalMs: number,
  waitLeftMs: number,
): boolean {
  if (item.insights || item.lastLookedAt === undefined) return true;
  const lastMs = Date.parse(item.lastLookedAt);
  const endMs = endMsOf(item.call);
  // An ask in the future (a skewed or corrupt time) would hold the call until then, maybe
  // forever, never judged: it is due now.
  if (Number.isNaN(lastMs) || lastMs > nowMs || endMs === null) return true;
  const gap = Math.min(LOOK_AGAIN_MAX_MS, waitLeftMs, Math.max(intervalMs, (lastMs - endMs) / 2));
  return nowMs - lastMs >= gap - intervalMs / 2;
}

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
  const intervalMs = runIntervalMs(ctx.scheduleIntervalMs);
  const nowMs = ctx.now().getTime();
  const waitMs = ctx.config.poll.insightsWaitMinutes * 60_000;
  const due = owed.filter((p) =>
    lookAgainDue(p, nowMs, intervalMs, waitMs - keptMs(p.waitedMs, p.attempts, intervalMs)),
  );
  if (due.length === 0) {
    ctx.summary.pendingRetried = 0;
    return;
  }
  const oldestFirst = [...due].sort(
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
  if (now.length < due.length) {
    ctx.logger.info("Owed calls past this run's share wait for the next run", {
      owed: owed.length,
      due: due.length,
      retriedNow: now.length,
    });
  }
  await workBatch(
    owedCtx,
    plan,
    now.map((p) => ({
      call: p.call,
      priorAttempts: p.attempts,
      priorErrors: p.errors ?? 0,
      priorWaitedMs: keptMs(p.waitedMs, p.attempts, intervalMs),
      priorFailedMs: keptMs(p.failedMs, p.errors ?? 0, intervalMs),
      ...(p.lastLookedAt !== undefined ? { priorLastLookedAt: p.lastLookedAt } : {}),
      firstSeenAt: p.firstSeenAt,
      wasPending: true,
      knownInsights: p.insights,
    })),
    null,
  );
}
