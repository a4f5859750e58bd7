import type { Call } from '../../call';
import { endMsOf } from '../../evaluated-calls';
import type { CallProgressStore, PendingInsightsItem, ReadRange } from '../../ports';
import { countTraffic } from '../notify-traffic';
import { observeWindows } from '../notify-windows';
import type { PollSummary } from '../run-context';
import type { SendContext } from '../send-notice';
import type { JudgedCall } from './subject';

export interface SaveContext {
  store: Pick<CallProgressStore, 'putPendingInsights' | 'recordEvaluatedCalls' | 'deletePendingInsights'>;
  summary: PollSummary;
  /** For the windows the finished calls count in (saved through the send path's context). */
  send: SendContext;
}

/**
 * Saves what the batch did, most conservative first: what is still owed is recorded before
 * anything that says work is finished, so a crash between writes only causes harmless repeats.
 * `span` is the slice's range (null for owed calls: their own end times bound the record of
 * what was finished).
 */
export async function saveBatch(
  ctx: SaveContext,
  calls: readonly JudgedCall[],
  failedCalls: ReadonlySet<string>,
  span: ReadRange | null,
): Promise<void> {
  const { store, summary, send } = ctx;
  const { expiresAtSec } = send;
  const stillPending = owedCalls(calls, failedCalls);
  if (stillPending.length > 0) await store.putPendingInsights(stillPending, expiresAtSec);
  const finished = calls.filter((item) => item.done && !failedCalls.has(item.subject.call.callUuid));
  // Windowed rules see each call once, when it is finished (a call waiting for insights would
  // otherwise be counted on every run that looks at it).
  await observeWindows(
    send,
    finished.map((item) => item.evaluated),
  );
  if (finished.length > 0) {
    await store.recordEvaluatedCalls(
      span ?? spanOf(finished.map((item) => item.subject.call)),
      finished.map((item) => ({ callUuid: item.subject.call.callUuid, endMs: endMsOf(item.subject.call) })),
      expiresAtSec,
    );
  }
  const pendingResolved = finished
    .filter((item) => item.subject.wasPending)
    .map((item) => item.subject.call.callUuid);
  if (pendingResolved.length > 0) await store.deletePendingInsights(pendingResolved);
  // Traffic rules count each call once, when it is first listed (finished or now owed: volume
  // needs no Insights, and a call owed for an hour must not be missing from its bucket), in
  // memory, once the writes above recorded it: a batch that failed before is redone whole by
  // the next run, uncounted. The run writes the counts once, at its end.
  await countTraffic(
    send,
    calls.filter((item) => !item.subject.wasPending).map((item) => item.subject.call),
  );
  if (failedCalls.size > 0) summary.status = 'partial';
}

/**
 * The calls of the batch still owed: those whose Insights are still to come, then those whose
 * alert could not be sent. The latter join the pending list with their insights attempts
 * unchanged, so the watermark can move on while the call is retried.
 */
function owedCalls(calls: readonly JudgedCall[], failedCalls: ReadonlySet<string>): PendingInsightsItem[] {
  const stillPending = calls.filter((item) => !item.done).map((item) => pendingItem(item, false));
  const pendingUuids = new Set(stillPending.map((p) => p.call.callUuid));
  for (const item of calls) {
    const uuid = item.subject.call.callUuid;
    if (failedCalls.has(uuid) && !pendingUuids.has(uuid)) {
      stillPending.push(pendingItem(item, true));
      pendingUuids.add(uuid);
    }
  }
  return stillPending;
}

/** A judged call as a pending item: its counters, and (`withInsights`) the Insights it already has. */
function pendingItem(item: JudgedCall, withInsights: boolean): PendingInsightsItem {
  return {
    call: item.subject.call,
    attempts: item.attempts,
    errors: item.errors,
    waitedMs: item.waitedMs,
    failedMs: item.failedMs,
    ...(item.lastLookedAt !== undefined ? { lastLookedAt: item.lastLookedAt } : {}),
    firstSeenAt: item.subject.firstSeenAt,
    ...(withInsights && item.evaluated.insights ? { insights: item.evaluated.insights } : {}),
  };
}

/** The end times a set of calls spans, [earliest, latest + 1 s). */
function spanOf(calls: readonly Call[]): ReadRange {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    const ms = endMsOf(call);
    if (ms === null) continue;
    min = Math.min(min, ms);
    max = Math.max(max, ms);
  }
  if (!Number.isFinite(min)) return { from: new Date(0), to: new Date(1000) };
  return {
    from: new Date(Math.floor(min / 1000) * 1000),
    to: new Date(Math.floor(max / 1000) * 1000 + 1000),
  };
}
