import type { AlertConfig } from '../../config/schema';
import type {
  CallProgressStore,
  CallSource,
  Cursor,
  CursorStore,
  IncidentStore,
  Logger,
  PendingInsightsItem,
  ReadRange,
} from '../../ports';
import { isoRange, planReadRange } from '../plan-read-range';
import { hotSpots, insightsShare, noMediaInsightsNeeded } from '../plan-work';
import type { PollSummary } from '../run-context';
import { runIntervalMs } from '../../schedule';
import { countCalls } from './count-calls';
import type { InsightsPlan } from './fetch-insights';

export interface PlanContext {
  source: CallSource;
  store: Pick<CursorStore, 'getCursor'> &
    Pick<CallProgressStore, 'listPendingInsights'> &
    Pick<IncidentStore, 'listGroups' | 'listWindows'>;
  logger: Logger;
  config: AlertConfig;
  summary: PollSummary;
  now: () => Date;
  usableMs: () => number;
  /** How often runs start (the deployment's schedule); 5 minutes when not given. */
  scheduleIntervalMs?: number;
}

/** The work of one run, sized before any of it is done. */
export interface RunPlan {
  cursor: Cursor | null;
  /** The read range: from the watermark less the overlap to now (or the end of a backlog's range). */
  range: ReadRange;
  /** Calls Plivo counted in the range (null: it did not say). */
  total: number | null;
  /** Calls owed from earlier runs (their Insights were not ready, or an alert failed). */
  owed: PendingInsightsItem[];
  insights: InsightsPlan;
}

/**
 * Sizes the work before doing any: the read range, how many calls it holds (the part read
 * before, the overlap, and the new part counted apart), the share of calls the Plivo budget can
 * fetch Insights for, and the calls owed from earlier runs. A Plivo outage or rejected
 * credentials end the run here, with no state touched.
 */
export async function planRun(ctx: PlanContext): Promise<RunPlan> {
  const { store, logger, config, summary } = ctx;
  const cursor = await store.getCursor();
  const plan = planReadRange(cursor, ctx.now(), config.poll);
  const { range } = plan;
  summary.readRange = isoRange(range);
  summary.firstRun = plan.firstRun;
  if (plan.unreadableGap) {
    logger.error('Calls in this range are older than Plivo keeps them and were never checked', {
      gap: isoRange(plan.unreadableGap),
    });
  }

  const fresh: ReadRange = { from: plan.freshFrom, to: range.to };
  const overlap: ReadRange | null =
    plan.freshFrom.getTime() > range.from.getTime() ? { from: range.from, to: plan.freshFrom } : null;
  // One after the other: rejected credentials are then one refused request, not two.
  const freshCount = await countCalls(ctx, fresh);
  const overlapCount = overlap ? await countCalls(ctx, overlap) : 0;
  const total = overlapCount === null || freshCount === null ? null : overlapCount + freshCount;
  const share = insightsShare({
    config,
    newCalls: freshCount,
    newSpanMs: fresh.to.getTime() - fresh.from.getTime(),
    rereadCalls: overlapCount,
    usableMs: ctx.usableMs(),
    intervalMs: runIntervalMs(ctx.scheduleIntervalMs),
  });
  summary.callsInRange = total;
  summary.newRange = fresh.to.getTime() > fresh.from.getTime();
  summary.insightsShare = share.share;
  if (share.share < 1) {
    logger.warn('Calls arrive faster than the Plivo budget can fetch Insights for: sampling', {
      arrivalPerSecond: round2(share.arrivalPerSecond ?? 0),
      capacityPerSecond: round2(share.capacityPerSecond),
      share: round2(share.share),
      maxRequestsPer5s: config.plivo.maxRequestsPer5s,
    });
  }

  const owed = await store.listPendingInsights();
  summary.pendingRetried = owed.length;
  return {
    cursor,
    range,
    total,
    owed,
    insights: {
      share: share.share,
      capacityPerSecond: share.capacityPerSecond,
      hot: share.share < 1 ? hotSpots(await store.listGroups(), await store.listWindows(), config) : [],
      noMediaInsights: noMediaInsightsNeeded(config),
    },
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
