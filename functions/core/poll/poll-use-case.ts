import type { ReadRange } from '../ports';
import { AlerterError, type FailureKind, SourceUnavailableError } from '../errors';
import { configWithStoredSilences } from '../stored-silences';
import { updateWindows } from './notify-windows';
import { planReadRange } from './plan-read-range';
import {
  hotSpots,
  insightsShare,
  noMediaInsightsNeeded,
  sliceSeconds,
  sliceTarget,
  splitRange,
  tooBig,
} from './plan-work';
import { emptySummary, type PollDeps, type PollSummary } from './run-context';
import { isSettled, type SendContext, sendNotice } from './send-notice';
import { type BatchContext, type BatchPlan, workBatch } from './stages/batch';
import type { Subject } from './stages/subject';

export type { PollDeps, PollStatus, PollSummary } from './run-context';
export { MAX_FINDINGS_PER_SUMMARY } from './stages/notify';

/** Raised when a run could not finish its work; state was saved only up to what was done. */
export class PollIncompleteError extends AlerterError {
  override name = 'PollIncompleteError';
  override readonly failure: FailureKind = 'alerts-not-publishing';
  constructor(
    message: string,
    readonly summary: PollSummary,
  ) {
    super(message);
  }
}

const DAY_SECONDS = 24 * 60 * 60;
/** Without a schedule interval from the deployment (local runs): the shipped 5 minutes. */
const DEFAULT_SCHEDULE_INTERVAL_MS = 5 * 60_000;
/**
 * A slice is started only with this share of its expected duration left: what does not fit
 * is not lost (Insights not asked for in time go to the pending list, the slice is saved), but
 * a slice that cannot get far would only move calls to the pending list.
 */
const SLICE_TIME_MARGIN = 0.5;
function iso(range: ReadRange): { from: string; to: string } {
  return { from: range.from.toISOString(), to: range.to.toISOString() };
}

/**
 * One scheduled run: read the calls that ended since the watermark (minus an overlap), look
 * up their insights, evaluate the rules, publish each new finding exactly once, then move
 * the watermark. State only ever advances past work that was done: a run that fails or runs
 * out of time leaves the cursor where the next run can redo what is missing, and dedup makes
 * the redo harmless.
 */
export async function poll(deps: PollDeps): Promise<PollSummary> {
  const { store, logger, runId } = deps;
  const startedMs = deps.now().getTime();
  const summary = emptySummary(runId);
  const finish = (): PollSummary => {
    summary.durationMs = deps.now().getTime() - startedMs;
    return summary;
  };

  const leaseUntilMs = startedMs + Math.max(deps.remainingTimeMs(), 1000);
  if (!(await store.acquireLease(runId, { nowMs: startedMs, untilMs: leaseUntilMs }))) {
    summary.status = 'skipped-lease-held';
    logger.warn('Another poll run holds the lease; skipping this run', { runId });
    return finish();
  }
  try {
    // Silences added with the CLI (kept in the state table) join the config's from this run on.
    const config = await configWithStoredSilences(deps.config, store, deps.now(), logger);
    await runUnderLease({ ...deps, config }, summary);
  } finally {
    await store.releaseLease(runId).catch((error: Error) => {
      // The lease expires on its own; a failed release only delays the next run.
      logger.warn('Could not release the poll lease', { error: error.message });
    });
  }
  finish();
  if (summary.publishFailures > 0) {
    // Any notice the channel did not take fails the run, whatever kind it was, so the failure
    // is seen (metric, alarm, operations message) instead of hiding in a green run.
    const reasons = summary.publishFailureReasons.slice(0, 3).join(' | ');
    const more =
      summary.publishFailureReasons.length > 3 ? ` (+${summary.publishFailureReasons.length - 3} more)` : '';
    throw new PollIncompleteError(
      `${summary.publishFailures} notice(s) could not be published: ${reasons}${more}. ` +
        (summary.cursorAdvanced
          ? 'The rest of the run was saved; those notices stay owed (their calls pending, group and window notices due) and the next run retries them.'
          : 'The run stopped before saving its progress; the next run redoes it.'),
      summary,
    );
  }
  return summary;
}

/** What every batch of one run shares. */
interface RunState {
  deps: PollDeps;
  batch: BatchContext;
  plan: BatchPlan;
  /** Calls owed from earlier runs: worked on first, never taken up again from a listing. */
  pendingUuids: ReadonlySet<string>;
}

/** One slice of the read range waiting its turn, with Plivo's count of its calls when known. */
interface PlannedSlice {
  range: ReadRange;
  count: number | null | undefined;
}

async function runUnderLease(deps: PollDeps, summary: PollSummary): Promise<void> {
  const { store, logger, config } = deps;
  const safetyMs = config.poll.safetyMarginSeconds * 1000;
  const usableMs = () => deps.remainingTimeMs() - safetyMs;
  const outOfTime = () => usableMs() < 0;
  const retentionSec = config.state.dedupRetentionDays * DAY_SECONDS;
  const ctx: SendContext = {
    deps,
    summary,
    // One instant for the whole run, so every notice of it sees the same silences.
    silencedAt: deps.now(),
    expiresAtSec: Math.floor(deps.now().getTime() / 1000) + retentionSec,
  };

  // A message recorded in the outbox and not seen through (the run died after publishing it,
  // or its publish failed) is sent first, as it was, so what it covered is not sent again.
  // While its entry stays, it alone owns the findings it covers: they are not sent one by one.
  const ownedByOutbox = new Set<string>();
  for (const entry of await store.listOutbox()) {
    const result = await sendNotice(ctx, {
      key: entry.key,
      kind: 'catch-up-summary',
      ruleId: 'catch-up-summary',
      silenceSubject: null,
      whenSilenced: 'record',
      render: () => entry.message,
      covers: entry.covers,
      outbox: true,
      logFields: { recovered: true },
    });
    if (!isSettled(result)) {
      for (const key of entry.covers) ownedByOutbox.add(key);
    }
  }

  const cursor = await store.getCursor();
  const plan = planReadRange(cursor, deps.now(), config.poll);
  const { range } = plan;
  summary.readRange = iso(range);
  summary.firstRun = plan.firstRun;
  if (plan.unreadableGap) {
    logger.error('Calls in this range are older than Plivo keeps them and were never checked', {
      gap: iso(plan.unreadableGap),
    });
  }

  // Size the work before doing any: how many calls the range holds, the part read before
  // (the overlap) and the new part counted apart. A Plivo outage or rejected credentials end
  // the run here, with no state touched.
  const fresh: ReadRange = { from: plan.freshFrom, to: range.to };
  const overlap: ReadRange | null =
    plan.freshFrom.getTime() > range.from.getTime() ? { from: range.from, to: plan.freshFrom } : null;
  // One after the other: rejected credentials are then one refused request, not two.
  const freshCount = await countCalls(deps, fresh);
  const overlapCount = overlap ? await countCalls(deps, overlap) : 0;
  const total = overlapCount === null || freshCount === null ? null : overlapCount + freshCount;
  const share = insightsShare({
    config,
    newCalls: freshCount,
    newSpanMs: fresh.to.getTime() - fresh.from.getTime(),
    rereadCalls: overlapCount,
    usableMs: usableMs(),
    intervalMs: deps.scheduleIntervalMs ?? DEFAULT_SCHEDULE_INTERVAL_MS,
  });
  summary.callsInRange = total;
  summary.insightsShare = share.share;
  if (share.share < 1) {
    logger.warn('Calls arrive faster than the Plivo budget can fetch Insights for: sampling', {
      arrivalPerSecond: round2(share.arrivalPerSecond ?? 0),
      capacityPerSecond: round2(share.capacityPerSecond),
      share: round2(share.share),
      maxRequestsPer5s: config.plivo.maxRequestsPer5s,
    });
  }

  const pending = await store.listPendingInsights();
  summary.pendingRetried = pending.length;
  const run: RunState = {
    deps,
    batch: { ...deps, summary, outOfTime, send: ctx },
    plan: {
      ownedByOutbox,
      insights: {
        share: share.share,
        hot: share.share < 1 ? hotSpots(await store.listGroups(), await store.listWindows(), config) : [],
        noMediaInsights: noMediaInsightsNeeded(config),
      },
      evaluatedAt: deps.now().toISOString(),
    },
    pendingUuids: new Set(pending.map((p) => p.call.callUuid)),
  };

  // Calls owed from earlier runs first (their insights were not ready, or an alert failed).
  if (pending.length > 0) {
    await workBatch(
      run.batch,
      run.plan,
      pending.map((p) => ({
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

  // Then the read range, oldest slice first, each saved before the next begins: alerts go
  // out slice by slice, a run that reaches its deadline loses at most the slice in flight,
  // and a backlog of any size is worked off run after run.
  const target = sliceTarget(config, usableMs(), share.share);
  const queue: PlannedSlice[] =
    total !== null && tooBig(range, total, target)
      ? splitRange(range, Math.ceil(total / target)).map((r) => ({ range: r, count: undefined }))
      : [{ range, count: total }];
  let version = cursor?.version ?? null;
  let watermarkMs = cursor ? Date.parse(cursor.watermark) : Number.NEGATIVE_INFINITY;
  while (queue.length > 0) {
    const slice = queue.shift() as PlannedSlice;
    if (outOfTime()) {
      queue.unshift(slice);
      break;
    }
    const count = slice.count === undefined ? await countCalls(deps, slice.range) : slice.count;
    if (tooBig(slice.range, count, target)) {
      const parts = splitRange(slice.range, Math.ceil((count as number) / target));
      queue.unshift(...parts.map((r) => ({ range: r, count: undefined })));
      continue;
    }
    if (summary.slices > 0) {
      // Start a slice only if it should end in time; what is left waits for the next run.
      const expectedMs = sliceSeconds(config, count ?? target, share.share) * 1000 * SLICE_TIME_MARGIN;
      if (usableMs() < expectedMs) {
        queue.unshift({ ...slice, count });
        break;
      }
    }
    await processSlice(run, slice.range);
    summary.slices += 1;
    // Every call of the slice is now either finished or on the pending list. A slice of the
    // overlap (read again for late CDRs) ends before the watermark: the cursor never goes back.
    if (slice.range.to.getTime() > watermarkMs) {
      await store.saveCursor(slice.range.to.toISOString(), version);
      version = (version ?? 0) + 1;
      watermarkMs = slice.range.to.getTime();
      summary.cursorAdvanced = true;
      summary.watermark = slice.range.to.toISOString();
    }
  }
  summary.slicesLeft = queue.length;

  // Windowed rules are judged once per run, on every call the run finished.
  await updateWindows(ctx, []);

  if (queue.length > 0) {
    logger.warn(
      'Run stopped before the end of its read range to stay within its time limit; the next run continues',
      {
        slicesDone: summary.slices,
        watermark: summary.watermark,
        readTo: range.to.toISOString(),
      },
    );
  } else if (summary.insightsDeferredForTime > 0) {
    logger.warn('Run stopped early to stay within its time limit; the next run continues', {
      deferred: summary.insightsDeferredForTime,
    });
  }
  const lagFrom = summary.watermark ?? cursor?.watermark ?? null;
  summary.lagSeconds =
    lagFrom === null ? null : Math.max(0, Math.round((deps.now().getTime() - Date.parse(lagFrom)) / 1000));
}

/**
 * Plivo's count of a range, which only sizes the work: if Plivo will not give it (a refused or
 * unreadable answer) the range is read as one slice, unsampled, and the run goes on. Plivo
 * being down or refusing the credentials ends the run here, as listing would.
 */
async function countCalls(deps: PollDeps, range: ReadRange): Promise<number | null> {
  try {
    return await deps.source.countCalls(range);
  } catch (error) {
    if (error instanceof SourceUnavailableError) throw error;
    if (error instanceof AlerterError && error.failure === 'plivo-credentials-rejected') throw error;
    deps.logger.warn('Plivo did not count the calls in a range; reading it as one slice', {
      range: iso(range),
      error: (error as Error).message,
    });
    return null;
  }
}

/** Lists one slice and works through the calls in it that no earlier run finished. */
async function processSlice(run: RunState, sliceRange: ReadRange): Promise<void> {
  const { deps } = run;
  const { summary } = run.batch;
  const listed = await deps.source.listCalls(sliceRange);
  summary.recordsSkipped += listed.skipped.length;
  for (const skipped of listed.skipped) {
    deps.logger.warn('Skipped a call record that could not be understood', {
      reason: skipped.reason,
      callUuid: skipped.callUuid,
    });
  }
  summary.callsSeen += listed.calls.length;
  const evaluatedBefore = await deps.store.getEvaluatedCalls(sliceRange);
  const nowIso = deps.now().toISOString();
  const subjects: Subject[] = [];
  for (const call of listed.calls) {
    if (run.pendingUuids.has(call.callUuid)) continue;
    if (evaluatedBefore.has(call.callUuid)) {
      summary.callsAlreadyEvaluated += 1;
      continue;
    }
    subjects.push({ call, priorAttempts: 0, priorErrors: 0, firstSeenAt: nowIso, wasPending: false });
  }
  await workBatch(run.batch, run.plan, subjects, sliceRange);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
