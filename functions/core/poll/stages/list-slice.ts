import type { CallProgressStore, CallSource, Logger, ReadRange } from '../../ports';
import type { PollSummary } from '../run-context';
import type { Subject } from './subject';

export interface ListContext {
  source: CallSource;
  store: Pick<CallProgressStore, 'getEvaluatedCalls'>;
  logger: Logger;
  summary: PollSummary;
  now: () => Date;
}

/** A listed slice: the calls to work on, and whether the source's own count was below what it listed. */
export interface ListedSlice {
  subjects: Subject[];
  /**
   * The count that came with the list was below the records it returned: Plivo's counts are
   * low, so a count of the overlap that matches the calls seen there proves nothing.
   */
  countBelowListing: boolean;
}

/**
 * Lists one slice and keeps the calls in it that no earlier run finished and that are not owed
 * already (`owedUuids`: those were worked on first).
 */
export async function listSlice(
  ctx: ListContext,
  range: ReadRange,
  owedUuids: ReadonlySet<string>,
): Promise<ListedSlice> {
  const { source, store, logger, summary } = ctx;
  const listed = await source.listCalls(range);
  summary.recordsSkipped += listed.skipped.length;
  for (const skipped of listed.skipped) {
    logger.warn('Skipped a call record that could not be understood', {
      reason: skipped.reason,
      callUuid: skipped.callUuid,
    });
  }
  summary.callsSeen += listed.calls.length;
  const evaluatedBefore = await store.getEvaluatedCalls(range);
  const nowIso = ctx.now().toISOString();
  const subjects: Subject[] = [];
  for (const call of listed.calls) {
    if (owedUuids.has(call.callUuid)) continue;
    if (evaluatedBefore.has(call.callUuid)) {
      summary.callsAlreadyEvaluated += 1;
      continue;
    }
    subjects.push({
      call,
      priorAttempts: 0,
      priorErrors: 0,
      priorWaitedMs: 0,
      priorFailedMs: 0,
      firstSeenAt: nowIso,
      wasPending: false,
    });
  }
  const records = listed.calls.length + listed.skipped.length;
  const countBelowListing =
    listed.reportedTotal !== undefined && listed.reportedTotal !== null && listed.reportedTotal < records;
  return { subjects, countBelowListing };
}
