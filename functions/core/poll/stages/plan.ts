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
import { endMsOf } from '../../evaluated-calls';
import { runIntervalMs } from '../../schedule';
import { countCalls } from './count-calls';
import { findLateParts, type PlannedPart } from './late-calls';
import type { InsightsPlan } from './fetch-insights';

export interface PlanContext {
  source: CallSource;
  store: Pick<CursorStore, 'getCursor'> &
    Pick<CallProgressStore, 'listPendingInsights' | 'getEvaluatedCalls'> &
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
  /** The part of the range past the watermark: calls not read before. */
  fresh: ReadRange;
  /** The part read before (for late CDRs), null on a first run or without an overlap. */
  overlap: ReadRange | null;
  /** Calls Plivo counted in the fresh part (null: not counted, or it did not say). */
  total: number | null;
  /** Parts of the overlap to list again: Plivo counts more calls there than were seen (late CDRs). */
  late: PlannedPart[];
  /** Calls owed from earlier runs (their Insights were not ready, or an alert failed). */
  owed: PendingInsightsItem[];
  insights: InsightsPlan;
}

/**
 * A fresh part no longer than this many schedule intervals, whose calls (judged by the overlap's
 * rate) would use under FRESH_COUNT_SKIP_LOAD of what the budget can fetch Insights for, is not
 * counted: that count would change nothing, and at a 1-minute schedule it is a request per run.
 */
const FRESH_COUNT_SKIP_INTERVALS = 2;
const FRESH_COUNT_SKIP_LOAD = 0.25;

/**
 * Sizes the work before doing any: the read range; the overlap counted (one request) and compared
 * with the calls already judged or owed there, to find the parts holding late CDRs; the fresh
 * part counted (unless the overlap's rate shows it is far within the budget); the share of calls
 * the Plivo budget can fetch Insights for; the calls owed from earlier runs. A Plivo outage or
 * rejected credentials end the run here, with no state touched.
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
  const owed = await store.listPendingInsights();
  summary.pendingRetried = owed.length;
  const intervalMs = runIntervalMs(ctx.scheduleIntervalMs);
  const capacity = insightsShare({
    config,
    newCalls: null,
    newSpanMs: 0,
    usableMs: ctx.usableMs(),
    intervalMs,
  });

  // One after the other: rejected credentials are then one refused request, not two.
  let late: PlannedPart[] = [];
  let overlapCount: number | null = null;
  let overlapRate: number | null = null;
  if (overlap) {
    const seen = await store.getEvaluatedCalls(overlap);
    const owedEnds = owed.map((p) => endMsOf(p.call)).filter((ms): ms is number => ms !== null);
    const known = (part: ReadRange) => {
      const finished = seen.countIn(part);
      if (finished === null) return null;
      const from = part.from.getTime();
      const to = part.to.getTime();
      return finished + owedEnds.filter((ms) => ms >= from && ms < to).length;
    };
    overlapCount = await countCalls(ctx, overlap);
    late = await findLateParts(ctx, overlap, overlapCount, known, lateTailMs(config));
    const seenCount = overlapCount ?? known(overlap);
    const overlapSpanMs = overlap.to.getTime() - overlap.from.getTime();
    if (seenCount !== null && overlapSpanMs > 0) overlapRate = seenCount / (overlapSpanMs / 1000);
  }
  const freshSpanMs = fresh.to.getTime() - fresh.from.getTime();
  // The overlap's rate (counted, or the calls seen there) says whether counting the new part
  // could change the plan.
  const quietEnough =
    overlapRate !== null &&
    !summary.countDistrusted &&
    freshSpanMs <= FRESH_COUNT_SKIP_INTERVALS * intervalMs &&
    overlapRate <= FRESH_COUNT_SKIP_LOAD * capacity.capacityPerSecond;
  const freshCount =
    freshSpanMs <= 0 ? 0 : quietEnough || summary.countDistrusted ? null : await countCalls(ctx, fresh);
  const share = insightsShare({
    config,
    newCalls: freshCount,
    newSpanMs: freshSpanMs,
    rereadCalls: late.reduce((sum, part) => sum + (part.count ?? 0), 0),
    usableMs: ctx.usableMs(),
    intervalMs,
  });
  summary.callsInRange = overlapCount === null || freshCount === null ? null : overlapCount + freshCount;
  summary.newRange = freshSpanMs > 0;
  summary.insightsShare = share.share;
  if (share.share < 1) {
    logger.warn('Calls arrive faster than the Plivo budget can fetch Insights for: sampling', {
      arrivalPerSecond: round2(share.arrivalPerSecond ?? 0),
      capacityPerSecond: round2(share.capacityPerSecond),
      share: round2(share.share),
      maxRequestsPer5s: config.plivo.maxRequestsPer5s,
    });
  }

  return {
    cursor,
    range,
    fresh,
    overlap,
    total: freshCount,
    late,
    owed,
    insights: {
      share: share.share,
      capacityPerSecond: share.capacityPerSecond,
      hot: share.share < 1 ? hotSpots(await store.listGroups(), await store.listWindows(), config) : [],
      noMediaInsights: noMediaInsightsNeeded(config),
    },
  };
}

/**
 * How much of the overlap's newest end is listed first when its count grew: calls that ended
 * there were read `poll.settleSeconds` after they ended, so the CDRs Plivo writes a little later
 * than that are found there (at least 10 s).
 */
function lateTailMs(config: AlertConfig): number {
  return Math.max(config.poll.settleSeconds, 10) * 1000;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
