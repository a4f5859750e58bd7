import type { CallInsights } from '../../call';
import type { AlertConfig } from '../../config/schema';
import { CallRequestRefusedError, FatalSourceError } from '../../errors';
import type { CallSource, Logger } from '../../ports';
import { mapConcurrent } from '../map-concurrent';
import { carriedNoMedia, type HotSpots, isHot, samplePoint } from '../plan-work';
import type { PollSummary } from '../run-context';
import { reachesMinutes, runIntervalMs } from '../../schedule';
import type { JudgedCall, Subject } from './subject';

/** How long insights requests may fail for a call, as a multiple of poll.insightsWaitMinutes. */
const INSIGHTS_ERROR_BUDGET_FACTOR = 4;
/**
 * Insights requests failing in a row (each after the client's own retries) after which the run
 * stops asking for the rest of it: Plivo's Insights are down, and every further request would
 * spend its time (up to 5 × 10 s each) on calls that stay owed anyway, while listing and the
 * CDR rules still work. The next run tries again.
 */
export const INSIGHTS_OUTAGE_AFTER_FAILURES = 3;

/** The run's view of Plivo's Insights: failures in a row, and whether it stopped asking. */
export interface InsightsOutage {
  consecutiveFailures: number;
  open: boolean;
}

export interface InsightsContext {
  source: CallSource;
  logger: Logger;
  config: AlertConfig;
  summary: PollSummary;
  outOfTime: () => boolean;
  insightsOutage: InsightsOutage;
  /** The deployment's schedule: the time each look that found no insights counts at least. */
  scheduleIntervalMs?: number;
  now: () => Date;
}

/** Which calls of a batch get an Insights request (see chooseInsights). */
export interface InsightsPlan {
  /** Share of calls given an Insights request (1 unless calls arrive faster than the budget). */
  share: number;
  /**
   * Calls per second the budget can fetch Insights for: a slice whose listed calls arrived
   * slower than this gets them all, whatever the count that set `share` said.
   */
  capacityPerSecond?: number;
  /** Incidents in progress or brewing: their calls' Insights go first when not every call gets them. */
  hot: HotSpots;
  /** Whether calls without media need their Insights (only for post-dial delay). */
  noMediaInsights: boolean;
}

type InsightsOutcome =
  | { kind: 'ready'; insights: CallInsights; known?: boolean }
  | { kind: 'not-ready' }
  | { kind: 'error'; error: Error }
  | { kind: 'refused'; error: Error }
  | { kind: 'deferred' }
  | { kind: 'deferred-outage' }
  | { kind: 'no-media' }
  | { kind: 'sampled-out' };

/**
 * Asks Plivo for the Insights of the calls of a batch that get them (see chooseInsights), then
 * decides, per call, what is known now and what must be looked at again later.
 */
export async function fetchInsights(
  ctx: InsightsContext,
  plan: InsightsPlan,
  subjects: readonly Subject[],
): Promise<JudgedCall[]> {
  const choice = chooseInsights(plan, subjects);
  const outcomes = await mapConcurrent(
    subjects,
    ctx.config.plivo.insightsConcurrency,
    async (subject, index): Promise<InsightsOutcome> => {
      const chosen = choice[index];
      if (subject.knownInsights) return { kind: 'ready', insights: subject.knownInsights, known: true };
      if (chosen === 'no-media') return { kind: 'no-media' };
      if (chosen === 'sampled-out') return { kind: 'sampled-out' };
      if (ctx.outOfTime()) return { kind: 'deferred' };
      // Insights are down for this run: the call is judged on its CDR and stays owed.
      if (ctx.insightsOutage.open) return { kind: 'deferred-outage' };
      try {
        const insights = await ctx.source.getInsights(subject.call.callUuid);
        ctx.insightsOutage.consecutiveFailures = 0;
        return insights ? { kind: 'ready', insights } : { kind: 'not-ready' };
      } catch (error) {
        // One call's refusal belongs to that call; only a refusal of us (credentials) or of
        // the run's own requests stops the run.
        if (error instanceof CallRequestRefusedError) {
          ctx.insightsOutage.consecutiveFailures = 0;
          return { kind: 'refused', error };
        }
        if (error instanceof FatalSourceError) throw error;
        noteInsightsFailure(ctx);
        return { kind: 'error', error: error as Error };
      }
    },
  );
  return subjects.map((subject, index) => judge(ctx, subject, outcomes[index] as InsightsOutcome));
}

/** One more failed Insights request in a row; past the limit the run stops asking. */
function noteInsightsFailure(ctx: InsightsContext): void {
  const outage = ctx.insightsOutage;
  outage.consecutiveFailures += 1;
  if (!outage.open && outage.consecutiveFailures >= INSIGHTS_OUTAGE_AFTER_FAILURES) {
    outage.open = true;
    ctx.logger.warn(
      'Plivo Insights keep failing: no more Insights requests this run; every call is judged on its CDR and its Insights stay owed',
      { failuresInARow: outage.consecutiveFailures },
    );
  }
}

/**
 * Which calls of a batch get an Insights request: every call owed from an earlier run; no call
 * without media unless a post-dial-delay rule needs it; and, when the budget cannot serve every
 * call, the calls of incidents in progress first, then a uniform sample of the rest.
 */
function chooseInsights(
  plan: InsightsPlan,
  subjects: readonly Subject[],
): Array<'fetch' | 'no-media' | 'sampled-out'> {
  const choice = subjects.map((s): 'fetch' | 'no-media' | 'sampled-out' | 'candidate' =>
    s.wasPending ? 'fetch' : !plan.noMediaInsights && carriedNoMedia(s.call) ? 'no-media' : 'candidate',
  );
  const candidates = choice.filter((c) => c === 'candidate').length;
  if (plan.share >= 1) return choice.map((c) => (c === 'candidate' ? 'fetch' : c));
  const hot = subjects.map((s, i) => choice[i] === 'candidate' && isHot(s.call, plan.hot));
  const hotCount = hot.filter(Boolean).length;
  const budget = plan.share * candidates;
  // The hot calls first (sampled themselves if they alone are more than the budget).
  const hotShare = hotCount === 0 ? 0 : Math.min(1, budget / hotCount);
  const restShare = candidates === hotCount ? 0 : Math.max(0, (budget - hotCount) / (candidates - hotCount));
  return choice.map((c, i) => {
    if (c !== 'candidate') return c;
    const point = samplePoint((subjects[i] as Subject).call.callUuid);
    return point < (hot[i] ? hotShare : restShare) ? 'fetch' : 'sampled-out';
  });
}

/** What one call's Insights answer means for it: judged now, or looked at again later. */
function judge(ctx: InsightsContext, subject: Subject, outcome: InsightsOutcome): JudgedCall {
  const { logger, config, summary } = ctx;
  let attempts = subject.priorAttempts;
  let errors = subject.priorErrors;
  let waitedMs = subject.priorWaitedMs;
  let failedMs = subject.priorFailedMs;
  let lastLookedAt = subject.priorLastLookedAt;
  const intervalMs = runIntervalMs(ctx.scheduleIntervalMs);
  // A look that found no Insights counts the time since the one before it (looks are spaced out
  // as the call ages: owed-calls.ts), at least a schedule interval.
  const nowMs = ctx.now().getTime();
  const sinceLastLook =
    lastLookedAt === undefined ? intervalMs : Math.max(intervalMs, nowMs - Date.parse(lastLookedAt) || 0);
  const keep = (done: boolean, insights: CallInsights | null, gaveUp: boolean): JudgedCall => ({
    subject,
    evaluated: { call: subject.call, insights, insightsGaveUp: gaveUp },
    done,
    attempts,
    errors,
    waitedMs,
    failedMs,
    ...(lastLookedAt !== undefined ? { lastLookedAt } : {}),
  });
  if (outcome.kind === 'ready') {
    if (!outcome.known) summary.insightsFetched += 1;
    summary.insightsSampled += 1;
    return keep(true, outcome.insights, false);
  }
  if (outcome.kind === 'no-media') {
    // Never answered, no talk time: its Insights hold no media metrics any rule reads.
    summary.insightsSkippedNoMedia += 1;
    return keep(true, null, false);
  }
  if (outcome.kind === 'sampled-out') {
    // Over the budget: judged on its CDR (every CDR rule sees it); no Insights request.
    summary.insightsSampledOut += 1;
    return keep(true, null, false);
  }
  summary.insightsSampled += 1;
  if (outcome.kind === 'deferred') {
    // Not attempted: keep it for the next run without spending one of its attempts.
    summary.insightsDeferredForTime += 1;
    return keep(false, null, false);
  }
  if (outcome.kind === 'deferred-outage') {
    // Not attempted while Insights are down: owed, its attempts untouched.
    summary.insightsDeferredForOutage += 1;
    return keep(false, null, false);
  }
  if (outcome.kind === 'error') {
    // Plivo failing is not Plivo saying "not ready": an outage gets its own, larger budget,
    // so the insight-based alerts of its calls are not dropped after half an hour of 5xx.
    summary.insightsErrors += 1;
    errors += 1;
    failedMs += sinceLastLook;
    logger.warn('Insights request failed; will look again in a later run', {
      callUuid: subject.call.callUuid,
      error: outcome.error.message,
      errors,
    });
  } else if (outcome.kind === 'refused') {
    // Plivo refused this call's Insights for good (400, 403, 410...): retrying cannot fix
    // it, so it uses the not-ready budget, and its CDR-only rules are judged right away.
    summary.insightsRefused += 1;
    attempts += 1;
    waitedMs += sinceLastLook;
    logger.warn("Plivo refused this call's Insights; judging its CDR meanwhile", {
      callUuid: subject.call.callUuid,
      error: outcome.error.message,
      attempts,
    });
  } else {
    summary.insightsNotReady += 1;
    attempts += 1;
    waitedMs += sinceLastLook;
  }
  // Asked, and no Insights: the next ask is spaced from now.
  lastLookedAt = new Date(nowMs).toISOString();
  const waitMinutes = config.poll.insightsWaitMinutes;
  const gaveUp =
    reachesMinutes(waitedMs, waitMinutes) ||
    reachesMinutes(failedMs, waitMinutes * INSIGHTS_ERROR_BUDGET_FACTOR);
  if (gaveUp) {
    summary.insightsGaveUp += 1;
    logger.warn('Insights never became available; judging the call on its CDR alone', {
      callUuid: subject.call.callUuid,
      notReadyAnswers: attempts,
      failedRequests: errors,
      waitedMinutes: waitedMs / 60_000,
      failingMinutes: failedMs / 60_000,
    });
  }
  return keep(gaveUp, null, gaveUp);
}
