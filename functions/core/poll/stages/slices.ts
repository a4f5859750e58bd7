import type { CursorStore, ReadRange } from '../../ports';
import { sliceSeconds, sliceTarget, splitRange, tooBig } from '../plan-work';
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
  const { share } = batch.insights;
  const owedUuids = new Set(run.owed.map((p) => p.call.callUuid));
  const target = sliceTarget(config, ctx.usableMs(), share);
  const queue: PlannedSlice[] =
    total !== null && tooBig(range, total, target)
      ? splitRange(range, Math.ceil(total / target)).map((r) => ({ range: r, count: undefined }))
      : [{ range, count: total }];
  let version = cursor?.version ?? null;
  let watermarkMs = cursor ? Date.parse(cursor.watermark) : Number.NEGATIVE_INFINITY;
  while (queue.length > 0) {
    const slice = queue.shift() as PlannedSlice;
    if (ctx.outOfTime()) {
      queue.unshift(slice);
      break;
    }
    const count = slice.count === undefined ? await countCalls(ctx, slice.range) : slice.count;
    if (tooBig(slice.range, count, target)) {
      const parts = splitRange(slice.range, Math.ceil((count as number) / target));
      queue.unshift(...parts.map((r) => ({ range: r, count: undefined })));
      continue;
    }
    if (summary.slices > 0) {
      // Start a slice only if it should end in time; what is left waits for the next run.
      const expectedMs = sliceSeconds(config, count ?? target, share) * 1000 * SLICE_TIME_MARGIN;
      if (ctx.usableMs() < expectedMs) {
        queue.unshift({ ...slice, count });
        break;
      }
    }
    const subjects = await listSlice(ctx, slice.range, owedUuids);
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
  }
  summary.slicesLeft = queue.length;
}
