import type { CursorStore, ReadRange } from '../../ports';
import { countDisproved, sliceSeconds, sliceTarget, splitRange, tooBig } from '../plan-work';
import { type BatchContext, type BatchPlan, workBatch } from './batch';
import { countCalls } from './count-calls';
import { type ListContext, listSlice } from './list-slice';
import type { RunPlan } from './plan';

/**
 * A slice is started only with this share of its expected duration left: what does not fit
 * is not lost (Insights not asked for in time go to the pending list, the slice is saved), but
 * a slice that cannot get far would only move calls to the pending list.
 */
const SLICE_TIME_MARGIN = 0.5;

export type SlicesContext = ListContext &
  BatchContext & {
    store: Pick<CursorStore, 'saveCursor'>;
    usableMs: () => number;
  };

/** One slice of the read range waiting its turn, with Plivo's count of its calls when known. */
interface PlannedSlice {
  range: ReadRange;
  count: number | null | undefined;
}

/**
 * Works through the read range, oldest slice first, each saved before the next begins: alerts
 * go out slice by slice, a run that reaches its deadline loses at most the slice in flight, and
 * a backlog of any size is worked off run after run. Each slice: list → insights → rules →
 * notify → save, then the cursor moves past it.
 */
export async function workSlices(ctx: SlicesContext, batch: BatchPlan, run: RunPlan): Promise<void> {
  const { config, summary } = ctx;
  const { range, total, cursor } = run;
  const owedUuids = new Set(run.owed.map((p) => p.call.callUuid));
  const target = sliceTarget(config, ctx.usableMs(), batch.insights.share);
  const queue: PlannedSlice[] =
    total !== null && tooBig(range, total, target)
      ? splitRange(range, Math.ceil(total / target)).map((r) => ({ range: r, count: undefined }))
      : [{ range, count: total }];
  const trust = new CountTrust(total, range);
  let version = cursor?.version ?? null;
  // A watermark in the future (clock skew; the plan read up to now instead) is no watermark to
  // keep: the slices read now replace it, or no run would save one until real time passed it.
  const storedMs = cursor ? Date.parse(cursor.watermark) : Number.NEGATIVE_INFINITY;
  let watermarkMs = storedMs > ctx.now().getTime() ? Number.NEGATIVE_INFINITY : storedMs;
  while (queue.length > 0) {
    const slice = queue.shift() as PlannedSlice;
    // Out of time: stop. But a run that has not yet moved the cursor goes on to the first
    // slice past the watermark unless it must stop now: every run moves it.
    if (ctx.outOfTime() && (summary.cursorAdvanced || ctx.mustStop())) {
      queue.unshift(slice);
      break;
    }
    const counted = !trust.trusted
      ? null
      : slice.count === undefined
        ? await countCalls(ctx, slice.range)
        : slice.count;
    const count = trust.plausible(counted, slice.range) ? counted : trust.distrust(ctx, batch, counted, null);
    if (tooBig(slice.range, count, target)) {
      const parts = splitRange(slice.range, Math.ceil((count as number) / target));
      queue.unshift(...parts.map((r) => ({ range: r, count: undefined })));
      continue;
    }
    if (summary.cursorAdvanced) {
      // Start a slice only if it should end in time; what is left waits for the next run.
      const calls = count ?? trust.estimate(slice.range) ?? target;
      const expectedMs = sliceSeconds(config, calls, batch.insights.share) * 1000 * SLICE_TIME_MARGIN;
      if (ctx.usableMs() < expectedMs) {
        queue.unshift({ ...slice, count });
        break;
      }
    }
    const seenBefore = summary.callsSeen;
    const subjects = await listSlice(ctx, slice.range, owedUuids);
    // What the slice held says whether the counts (and the Insights share drawn from them) hold.
    trust.listed(ctx, batch, slice.range, count, summary.callsSeen - seenBefore, summary.slices === 0);
    await workBatch(ctx, batch, subjects, slice.range);
    summary.slices += 1;
    // Every call of the slice is now either finished or on the pending list. A slice of the
    // overlap (read again for late CDRs) ends before the watermark: the cursor never goes back.
    if (slice.range.to.getTime() > watermarkMs) {
      await ctx.store.saveCursor(slice.range.to.toISOString(), version);
      version = (version ?? 0) + 1;
      watermarkMs = slice.range.to.getTime();
      summary.cursorAdvanced = true;
      summary.watermark = slice.range.to.toISOString();
    }
    if (!trust.trusted) for (const waiting of queue) waiting.count = null;
  }
  summary.slicesLeft = queue.length;
}

/**
 * How far the run trusts Plivo's counts, which only size the work. A slice that held far fewer
 * calls than counted (countDisproved), or a count far above what the listed slices showed per
 * second, ends that trust for the rest of the run: the remaining slices are planned and timed
 * without counts, and an Insights share lowered on the strength of the count goes back to 1.
 */
class CountTrust {
  trusted = true;
  private listedCalls = 0;
  private listedMs = 0;

  constructor(
    private readonly total: number | null,
    private readonly range: ReadRange,
  ) {}

  /** Calls the range should hold at the rate the listed slices showed (null before any). */
  estimate(range: ReadRange): number | null {
    return this.listedMs > 0 ? Math.ceil((this.listedCalls / this.listedMs) * spanMs(range)) : null;
  }

  /** Whether `count` fits the calls per second seen so far (always, before anything was listed). */
  plausible(count: number | null, range: ReadRange): boolean {
    if (count === null || this.listedMs <= 0) return true;
    const expected = (this.listedCalls / this.listedMs) * spanMs(range);
    return !countDisproved(count, Math.floor(expected));
  }

  /** What a listed slice held, against its count (and, for the first slice, the range's). */
  listed(
    ctx: SlicesContext,
    batch: BatchPlan,
    range: ReadRange,
    count: number | null,
    listed: number,
    first: boolean,
  ): void {
    this.listedCalls += listed;
    this.listedMs += spanMs(range);
    if (!this.trusted) return;
    const prorated =
      first && this.total !== null && spanMs(this.range) > 0
        ? Math.floor((this.total * spanMs(range)) / spanMs(this.range))
        : null;
    if (countDisproved(count, listed)) this.distrust(ctx, batch, count, listed);
    else if (countDisproved(prorated, listed)) this.distrust(ctx, batch, prorated, listed);
  }

  /** Stops trusting counts for the rest of the run; returns the count to plan with (none). */
  distrust(ctx: SlicesContext, batch: BatchPlan, counted: number | null, listed: number | null): null {
    if (!this.trusted) return null;
    this.trusted = false;
    ctx.summary.countDistrusted = true;
    ctx.logger.warn(
      "Plivo's call counts do not match what it lists: planning the rest of the run without them",
      {
        counted,
        listed,
        insightsShareBefore: batch.insights.share,
      },
    );
    if (batch.insights.share < 1) {
      batch.insights.share = 1;
      ctx.summary.insightsShare = 1;
    }
    return null;
  }
}

const spanMs = (range: ReadRange) => range.to.getTime() - range.from.getTime();
