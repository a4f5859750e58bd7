import { alertDedupKey, renderFindingAlert } from '../alert-message';
import { renderCatchUpSummary } from '../catch-up-summary';
import type { Call, CallInsights, EvaluatedCall } from '../call';
import {
  AlerterError,
  CallRequestRefusedError,
  type FailureKind,
  FatalSourceError,
  SourceUnavailableError,
} from '../errors';
import type { Finding } from '../finding';
import type { ReadRange, PendingInsightsItem } from '../ports';
import { evaluateRules } from '../rules/evaluate-rules';
import { activeSilenceFor } from '../silences';
import { configWithStoredSilences } from '../stored-silences';
import { mapConcurrent } from './map-concurrent';
import { updateGroups } from './notify-groups';
import { observeWindows, updateWindows } from './notify-windows';
import { planReadRange } from './plan-read-range';
import {
  carriedNoMedia,
  type HotSpots,
  hotSpots,
  insightsShare,
  isHot,
  noMediaInsightsNeeded,
  samplePoint,
  sliceSeconds,
  sliceTarget,
  splitRange,
  tooBig,
} from './plan-work';
import { emptySummary, increment, type PollDeps, type PollSummary } from './run-context';
import {
  claimWithoutSending,
  type Notice,
  isSettled,
  type SendContext,
  type SendResult,
  sendNotice,
} from './send-notice';

export type { PollDeps, PollStatus, PollSummary } from './run-context';

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

interface Subject {
  call: Call;
  /** Earlier "not ready" answers for its insights (0 for a call seen for the first time). */
  priorAttempts: number;
  /** Earlier failed insights requests. */
  priorErrors: number;
  firstSeenAt: string;
  wasPending: boolean;
  /** Insights fetched by an earlier run (kept with the pending call). */
  knownInsights?: CallInsights;
}

type InsightsOutcome =
  | { kind: 'ready'; insights: CallInsights; known?: boolean }
  | { kind: 'not-ready' }
  | { kind: 'error'; error: Error }
  | { kind: 'refused'; error: Error }
  | { kind: 'deferred' }
  | { kind: 'no-media' }
  | { kind: 'sampled-out' };

const DAY_SECONDS = 24 * 60 * 60;
/** Without a schedule interval from the deployment (local runs): the shipped 5 minutes. */
const DEFAULT_SCHEDULE_INTERVAL_MS = 5 * 60_000;
/**
 * A slice is started only with this share of its expected duration left: what does not fit
 * is not lost (Insights not asked for in time go to the pending list, the slice is saved), but
 * a slice that cannot get far would only move calls to the pending list.
 */
const SLICE_TIME_MARGIN = 0.5;
/** Findings one catch-up summary carries (~65 bytes of key each, stored with the summary). */
export const MAX_FINDINGS_PER_SUMMARY = 500;
/** Failed insights requests tolerated per call, as a multiple of poll.insightsMaxAttempts. */
const INSIGHTS_ERROR_BUDGET_FACTOR = 4;

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
  ctx: SendContext;
  /** Findings a summary still in the outbox stands for: retried as that summary. */
  ownedByOutbox: ReadonlySet<string>;
  /** Calls owed from earlier runs: worked on first, never taken up again from a listing. */
  pendingUuids: ReadonlySet<string>;
  /** Share of calls given an Insights request (1 unless calls arrive faster than the budget). */
  share: number;
  /** Incidents in progress or brewing: their calls' Insights go first when not every call gets them. */
  hot: HotSpots;
  /** Whether calls without media need their Insights (only for post-dial delay). */
  noMediaInsights: boolean;
  evaluatedAt: string;
  outOfTime: () => boolean;
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
    ctx,
    ownedByOutbox,
    pendingUuids: new Set(pending.map((p) => p.call.callUuid)),
    share: share.share,
    hot: share.share < 1 ? hotSpots(await store.listGroups(), await store.listWindows(), config) : [],
    noMediaInsights: noMediaInsightsNeeded(config),
    evaluatedAt: deps.now().toISOString(),
    outOfTime,
  };

  // Calls owed from earlier runs first (their insights were not ready, or an alert failed).
  if (pending.length > 0) {
    await processBatch(
      run,
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
  const { deps, summary } = run.ctx;
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
  await processBatch(run, subjects, sliceRange);
}

/**
 * Which calls of a batch get an Insights request: every call owed from an earlier run; no call
 * without media unless a post-dial-delay rule needs it; and, when the budget cannot serve every
 * call, the calls of incidents in progress first, then a uniform sample of the rest.
 */
function chooseInsights(
  run: RunState,
  subjects: readonly Subject[],
): Array<'fetch' | 'no-media' | 'sampled-out'> {
  const choice = subjects.map((s): 'fetch' | 'no-media' | 'sampled-out' | 'candidate' =>
    s.wasPending ? 'fetch' : !run.noMediaInsights && carriedNoMedia(s.call) ? 'no-media' : 'candidate',
  );
  const candidates = choice.filter((c) => c === 'candidate').length;
  if (run.share >= 1) return choice.map((c) => (c === 'candidate' ? 'fetch' : c));
  const hot = subjects.map((s, i) => choice[i] === 'candidate' && isHot(s.call, run.hot));
  const hotCount = hot.filter(Boolean).length;
  const budget = run.share * candidates;
  // The hot calls first (sampled themselves if they alone are more than the budget).
  const hotShare = hotCount === 0 ? 0 : Math.min(1, budget / hotCount);
  const restShare = candidates === hotCount ? 0 : Math.max(0, (budget - hotCount) / (candidates - hotCount));
  return choice.map((c, i) => {
    if (c !== 'candidate') return c;
    const point = samplePoint((subjects[i] as Subject).call.callUuid);
    return point < (hot[i] ? hotShare : restShare) ? 'fetch' : 'sampled-out';
  });
}

/**
 * Works through one batch of calls (a slice, or the calls owed from earlier runs): Insights,
 * rules, notices, then state. `span` is the slice's range (null for owed calls: their own end
 * times bound the record of what was finished).
 */
async function processBatch(run: RunState, subjects: Subject[], span: ReadRange | null): Promise<void> {
  const { ctx } = run;
  const { deps, summary } = ctx;
  const { source, store, logger, config } = deps;

  const choice = chooseInsights(run, subjects);
  const outcomes = await mapConcurrent(
    subjects,
    config.plivo.insightsConcurrency,
    async (subject, index): Promise<InsightsOutcome> => {
      const chosen = choice[index];
      if (subject.knownInsights) return { kind: 'ready', insights: subject.knownInsights, known: true };
      if (chosen === 'no-media') return { kind: 'no-media' };
      if (chosen === 'sampled-out') return { kind: 'sampled-out' };
      if (run.outOfTime()) return { kind: 'deferred' };
      try {
        const insights = await source.getInsights(subject.call.callUuid);
        return insights ? { kind: 'ready', insights } : { kind: 'not-ready' };
      } catch (error) {
        // One call's refusal belongs to that call; only a refusal of us (credentials) or of
        // the run's own requests stops the run.
        if (error instanceof CallRequestRefusedError) return { kind: 'refused', error };
        if (error instanceof FatalSourceError) throw error;
        return { kind: 'error', error: error as Error };
      }
    },
  );

  const { evaluatedAt } = run;
  const { expiresAtSec } = ctx;

  // Decide, per call, what is known now and what must be looked at again later.
  const toEvaluate: Array<{
    subject: Subject;
    evaluated: EvaluatedCall;
    done: boolean;
    /** Counters to record if the call has to be looked at again. */
    attempts: number;
    errors: number;
  }> = [];
  const stillPending: PendingInsightsItem[] = [];
  const maxErrors = config.poll.insightsMaxAttempts * INSIGHTS_ERROR_BUDGET_FACTOR;
  subjects.forEach((subject, index) => {
    const outcome = outcomes[index] as InsightsOutcome;
    let attempts = subject.priorAttempts;
    let errors = subject.priorErrors;
    const keep = (done: boolean, insights: CallInsights | null, gaveUp: boolean) => {
      if (!done)
        stillPending.push({ call: subject.call, attempts, errors, firstSeenAt: subject.firstSeenAt });
      toEvaluate.push({
        subject,
        evaluated: { call: subject.call, insights, insightsGaveUp: gaveUp },
        done,
        attempts,
        errors,
      });
    };
    if (outcome.kind === 'ready') {
      if (!outcome.known) summary.insightsFetched += 1;
      summary.insightsSampled += 1;
      keep(true, outcome.insights, false);
      return;
    }
    if (outcome.kind === 'no-media') {
      // Never answered, no talk time: its Insights hold no media metrics any rule reads.
      summary.insightsSkippedNoMedia += 1;
      keep(true, null, false);
      return;
    }
    if (outcome.kind === 'sampled-out') {
      // Over the budget: judged on its CDR (every CDR rule sees it); no Insights request.
      summary.insightsSampledOut += 1;
      keep(true, null, false);
      return;
    }
    summary.insightsSampled += 1;
    if (outcome.kind === 'deferred') {
      // Not attempted: keep it for the next run without spending one of its attempts.
      summary.insightsDeferredForTime += 1;
      keep(false, null, false);
      return;
    }
    if (outcome.kind === 'error') {
      // Plivo failing is not Plivo saying "not ready": an outage gets its own, larger budget,
      // so the insight-based alerts of its calls are not dropped after half an hour of 5xx.
      summary.insightsErrors += 1;
      errors += 1;
      logger.warn('Insights request failed; will look again next run', {
        callUuid: subject.call.callUuid,
        error: outcome.error.message,
        errors,
      });
    } else if (outcome.kind === 'refused') {
      // Plivo refused this call's Insights for good (400, 403, 410...): retrying cannot fix
      // it, so it uses the not-ready budget, and its CDR-only rules are judged right away.
      summary.insightsRefused += 1;
      attempts += 1;
      logger.warn("Plivo refused this call's Insights; judging its CDR meanwhile", {
        callUuid: subject.call.callUuid,
        error: outcome.error.message,
        attempts,
      });
    } else {
      summary.insightsNotReady += 1;
      attempts += 1;
    }
    const gaveUp = attempts >= config.poll.insightsMaxAttempts || errors >= maxErrors;
    if (gaveUp) {
      summary.insightsGaveUp += 1;
      logger.warn('Insights never became available; judging the call on its CDR alone', {
        callUuid: subject.call.callUuid,
        notReadyAnswers: attempts,
        failedRequests: errors,
      });
    }
    keep(gaveUp, null, gaveUp);
  });

  // Evaluate and notify. A call counts as done only when every one of its findings was
  // published (or had been before). Past the run's alert budget, findings are claimed and
  // folded into one catch-up summary instead of paging one by one.
  const failedCalls = new Set<string>();
  const overflow: Array<{ finding: Finding; dedupKey: string }> = [];
  const grouped: Array<{ finding: Finding; dedupKey: string }> = [];
  for (const item of toEvaluate) {
    const findings = evaluateRules([item.evaluated], config);
    for (const finding of findings) {
      summary.findings += 1;
      increment(summary.findingsByRule, finding.ruleId);
      if (run.outOfTime()) {
        failedCalls.add(finding.call.callUuid);
        continue;
      }
      // Silenced findings are settled before grouping and the budget: they are never sent,
      // so they neither count into a group, use up maxAlertsPerRun nor land in a summary.
      if (run.ownedByOutbox.has(alertDedupKey(finding))) {
        // Carried by a summary still in the outbox: it is retried as that summary.
        summary.alertsInProgressElsewhere += 1;
        failedCalls.add(finding.call.callUuid);
        continue;
      }
      const silenced = activeSilenceFor(finding, ctx.silencedAt, config.silences) !== null;
      const overBudget = summary.alertsPublished >= config.notifications.maxAlertsPerRun;
      let result: SendResult | 'claimed';
      if (!silenced && config.grouping.enabled) {
        result = await claimWithoutSending(ctx, finding, grouped);
        if (result === 'claimed') summary.findingsGrouped += 1;
      } else if (!silenced && overBudget) {
        result = await claimWithoutSending(ctx, finding, overflow);
      } else {
        result = await sendNotice(
          ctx,
          findingNotice(deps, finding, evaluatedAt, item.evaluated.insightsGaveUp),
        );
      }
      if (result === 'in-progress' || result === 'failed') failedCalls.add(finding.call.callUuid);
    }
  }
  if (config.grouping.enabled) await updateGroups(ctx, grouped);
  // One summary per MAX_FINDINGS_PER_SUMMARY findings: what a summary covers is stored with
  // it (outbox, dead letter), and a DynamoDB item holds at most 400 KB.
  for (let start = 0; start < overflow.length; start += MAX_FINDINGS_PER_SUMMARY) {
    const chunk = overflow.slice(start, start + MAX_FINDINGS_PER_SUMMARY);
    summary.catchUpParts += 1;
    const id = summary.catchUpParts > 1 ? `${deps.runId}-${summary.catchUpParts}` : deps.runId;
    const result = await sendNotice(
      ctx,
      catchUpNotice(deps, id, chunk, evaluatedAt, summary.alertsPublished),
    );
    if (result === 'failed' || result === 'in-progress') {
      for (const o of chunk) failedCalls.add(o.finding.call.callUuid);
    } else if (result === 'published') {
      logger.warn('Findings past the alert budget went out as one catch-up summary', {
        findings: chunk.length,
        maxAlertsPerRun: config.notifications.maxAlertsPerRun,
      });
    }
  }

  // A call whose alert could not be sent is owed work: it joins the pending list (with its
  // insights attempts unchanged), so the watermark can move on while the call is retried.
  const pendingUuids = new Set(stillPending.map((p) => p.call.callUuid));
  for (const item of toEvaluate) {
    const uuid = item.subject.call.callUuid;
    if (failedCalls.has(uuid) && !pendingUuids.has(uuid)) {
      stillPending.push({
        call: item.subject.call,
        attempts: item.attempts,
        errors: item.errors,
        firstSeenAt: item.subject.firstSeenAt,
        ...(item.evaluated.insights ? { insights: item.evaluated.insights } : {}),
      });
      pendingUuids.add(uuid);
    }
  }

  // Save state, most conservative first: what is still owed is recorded before anything
  // that says work is finished, so a crash between writes only causes harmless repeats.
  if (stillPending.length > 0) await store.putPendingInsights(stillPending, expiresAtSec);
  const finished = toEvaluate.filter((item) => item.done && !failedCalls.has(item.subject.call.callUuid));
  // Windowed rules see each call once, when it is finished (a call waiting for insights would
  // otherwise be counted on every run that looks at it).
  await observeWindows(
    ctx,
    finished.map((item) => item.evaluated),
  );
  if (finished.length > 0) {
    await store.recordEvaluatedCalls(
      span ?? spanOf(finished.map((item) => item.subject.call)),
      finished.map((item) => item.subject.call.callUuid),
      expiresAtSec,
    );
  }
  const pendingResolved = finished
    .filter((item) => item.subject.wasPending)
    .map((item) => item.subject.call.callUuid);
  if (pendingResolved.length > 0) await store.deletePendingInsights(pendingResolved);
  if (failedCalls.size > 0) summary.status = 'partial';
}

/** The end times a set of calls spans, [earliest, latest + 1 s). */
function spanOf(calls: readonly Call[]): ReadRange {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    const ms = call.endTime === null ? Number.NaN : Date.parse(call.endTime);
    if (Number.isNaN(ms)) continue;
    min = Math.min(min, ms);
    max = Math.max(max, ms);
  }
  if (!Number.isFinite(min)) return { from: new Date(0), to: new Date(1000) };
  return {
    from: new Date(Math.floor(min / 1000) * 1000),
    to: new Date(Math.floor(max / 1000) * 1000 + 1000),
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A per-call alert: claimed under `rule#call_uuid`, recorded not sent while silenced. */
function findingNotice(
  deps: PollDeps,
  finding: Finding,
  evaluatedAt: string,
  insightsGaveUp: boolean,
): Notice {
  const { config } = deps;
  return {
    key: alertDedupKey(finding),
    kind: 'alert',
    ruleId: finding.ruleId,
    silenceSubject: finding,
    whenSilenced: 'record',
    render: () =>
      renderFindingAlert(finding, {
        deploymentName: config.notifications.deploymentName,
        maskPhoneNumbers: config.notifications.maskPhoneNumbers,
        evaluatedAt,
        insightsGaveUp,
      }),
    logFields: { severity: finding.severity, callUuid: finding.call.callUuid },
  };
}

/**
 * One message for every claimed finding past the budget. What it covers is part of its own
 * record (an outbox entry written before the publish), so a run dying after SNS accepted it
 * repeats at most this one summary, never the single alerts it stands for.
 */
function catchUpNotice(
  deps: PollDeps,
  id: string,
  overflow: Array<{ finding: Finding; dedupKey: string }>,
  evaluatedAt: string,
  alreadySent: number,
): Notice {
  const { config } = deps;
  return {
    key: `zentrunk-alerts:catch-up#${id}`,
    kind: 'catch-up-summary',
    ruleId: 'catch-up-summary',
    silenceSubject: null,
    whenSilenced: 'record',
    render: () =>
      renderCatchUpSummary(
        overflow.map((o) => o.finding),
        {
          deploymentName: config.notifications.deploymentName,
          runId: id,
          evaluatedAt,
          alreadySent,
        },
      ),
    covers: overflow.map((o) => o.dedupKey),
    outbox: true,
    logFields: { findings: overflow.length },
  };
}
