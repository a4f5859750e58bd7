import type { CursorStore, ReadRange } from '../../ports';
import {
  countDisproved,
  MAX_UNCOUNTED_SLICE_MS,
  sliceSeconds,
  sliceTarget,
  splitRange,
  splitUncounted,
  tooBig,
} from '../plan-work';
import { isoRange } from '../plan-read-range';
import { type BatchContext, type BatchPlan, workBatch } from './batch';
import { countCalls } from './count-calls';
import { type ListContext, listSlice } from './list-slice';
import { findRestParts, type PlannedPart } from './late-calls';
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

/** One slice of the read range waiting its turn, with Plivo's count of its calls (undefined: not asked yet; null: none). */
interface PlannedSlice {
  range: ReadRange;
  count: number | null | undefined;
  /** A part of the overlap listed again for late CDRs. */
  late?: boolean;
  /** The overlap's newest seconds: the rest of it is looked at once they are listed (late-calls.ts). */
  rest?: PlannedPart['rest'];
}

/**
 * Works through the read range, oldest slice first, each saved before the next begins: alerts
 * go out slice by slice, a run that reaches its deadline loses at most the slice in flight, and
 * a backlog of any size is worked off run after run. Each slice: list → insights → rules →
 * notify → save, then the cursor moves past it.
 */
export async function workSlices(ctx: SlicesContext, batch: BatchPlan, run: RunPlan): Promise<void> {
  const { config, summary } = ctx;
  const { fresh, total, cursor } = run;
  const owedUuids = new Set(run.owed.map((p) => p.call.callUuid));
  const target = sliceTarget(config, ctx.usableMs(), batch.insights.share);
  // The parts of the overlap holding late CDRs first (the oldest calls), then the new part.
  const freshSlices: PlannedSlice[] =
    fresh.to.getTime() <= fresh.from.getTime()
      ? []
      : total === null
        ? splitUncounted(fresh).map((r) => ({ range: r, count: null }))
        : tooBig(fresh, total, target)
          ? splitRange(fresh, Math.ceil(total / target)).map((r) => ({ range: r, count: undefined }))
          : [{ range: fresh, count: total }];
  const queue: PlannedSlice[] = [...run.late.map((part) => ({ ...part, late: true })), ...freshSlices];
  let trusted = true;
  // The overlap is listed in full at most once a run (when Plivo's counts prove low).
  let overlapRelisted = run.late.some((part) => part.count === null && !part.rest);
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
    const count = !trusted
      ? null
      : slice.count === undefined
        ? await countCalls(ctx, slice.range)
        : slice.count;
    if (tooBig(slice.range, count, target)) {
      const parts = splitRange(slice.range, Math.ceil((count as number) / target));
      queue.unshift(...parts.map((r) => ({ range: r, count: undefined, late: slice.late })));
      continue;
    }
    if (count === null && spanMs(slice.range) > MAX_UNCOUNTED_SLICE_MS) {
      // No count to size it by (Plivo gave none, or the run stopped trusting them): by time.
      queue.unshift(...splitUncounted(slice.range).map((r) => ({ range: r, count: null, late: slice.late })));
      continue;
    }
    if (summary.cursorAdvanced) {
      // Start a slice only if it should end in time; what is left waits for the next run.
      const expectedMs =
        sliceSeconds(config, count ?? target, batch.insights.share) * 1000 * SLICE_TIME_MARGIN;
      if (ctx.usableMs() < expectedMs) {
        queue.unshift({ ...slice, count });
        break;
      }
    }
    const seenBefore = summary.callsSeen;
    const { subjects, countBelowListing } = await listSlice(ctx, slice.range, owedUuids);
    const listed = summary.callsSeen - seenBefore;
    if (countBelowListing && !overlapRelisted && run.overlap) {
      // Plivo counted fewer calls than it listed: its count of the overlap cannot be trusted to
      // show late CDRs there either. List the whole overlap this run, as before counting it.
      overlapRelisted = true;
      trusted = false;
      summary.countDistrusted = true;
      ctx.logger.warn(
        "Plivo's count is below the calls it listed: listing the overlap again in full for late CDRs",
        { range: isoRange(slice.range), listed },
      );
      queue.unshift(...splitUncounted(run.overlap).map((r) => ({ range: r, count: null, late: true })));
    }
    if (slice.late) summary.lateCalls += subjects.length;
    if (slice.rest && !overlapRelisted) {
      // The overlap's newest seconds, listed first: look in the rest only for what they did not explain.
      const rest = await findRestParts(ctx, slice.rest, subjects.length);
      queue.unshift(...rest.map((part) => ({ ...part, late: true })));
    }
    if (trusted && countDisproved(count, listed)) {
      // The slice held far fewer (or far more) calls than Plivo counted: plan the rest of the
      // run by time, not by counts.
      trusted = false;
      summary.countDistrusted = true;
      ctx.logger.warn(
        "Plivo's count of a range does not match what it lists: planning the rest of the run without counts",
        {
          range: isoRange(slice.range),
          counted: count,
          listed,
        },
      );
      for (const waiting of queue) waiting.count = null;
    }
    const sliceBatch = batchFor(batch, slice.range, listed);
    summary.insightsShare = Math.min(summary.insightsShare, sliceBatch.insights.share);
    await workBatch(ctx, sliceBatch, subjects, slice.range);
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
  }
  summary.slicesLeft = queue.length;
}

/**
 * The plan for one slice's batch. A share of calls below 1 (a count said they arrive faster than
 * the budget can fetch Insights for) holds only where the listing bears it out: a slice whose
 * calls arrived no faster than the budget's capacity gets every call's Insights. And a slice
 * whose listing shows calls arriving faster than that is sampled even when no count said so.
 */
function batchFor(batch: BatchPlan, range: ReadRange, listed: number): BatchPlan {
  const capacity = batch.insights.capacityPerSecond;
  if (capacity === undefined || spanMs(range) <= 0) return batch;
  const arrival = listed / (spanMs(range) / 1000);
  if (batch.insights.share < 1) {
    return arrival <= capacity ? { ...batch, insights: { ...batch.insights, share: 1 } } : batch;
  }
  // Planned without a count (none asked for, or none given) and the listing shows calls arriving
  // faster than the budget serves: sample, as a count would have made the plan do.
  return arrival > capacity
    ? { ...batch, insights: { ...batch.insights, share: capacity / arrival } }
    : batch;
}

const spanMs = (range: ReadRange) => range.to.getTime() - range.from.getTime();
