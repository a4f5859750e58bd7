import type { CallInsights } from '../../call';
import type { AlertConfig } from '../../config/schema';
import { CallRequestRefusedError, FatalSourceError } from '../../errors';
import type { CallSource, Logger } from '../../ports';
import { mapConcurrent } from '../map-concurrent';
import { carriedNoMedia, type HotSpots, isHot, samplePoint } from '../plan-work';
import type { PollSummary } from '../run-context';
import { reachesMinutes, runIntervalMs } from '../../schedule';
import { endMsOf } from '../../evaluated-calls';
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

/**
 * What the run learnt of how soon Plivo has a call's Insights: calls that ended at or after
 * `notReadyFromMs` are not asked this run, because a call that ended before them had none yet
 * (see probeReadiness). Null: nothing learnt (every chosen call is asked).
 */
export interface InsightsReadiness {
  notReadyFromMs: number | null;
}

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
  /** How soon Insights exist, as this run found (absent: every chosen call is asked). */
  insightsReadiness?: InsightsReadiness;
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
  | { kind: 'not-yet' }
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
  const ask = async (subject: Subject): Promise<InsightsOutcome> => {
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
  };
  const asked = subjects
    .map((subject, index) => ({ subject, index }))
    .filter(({ subject, index }) => !subject.knownInsights && choice[index] === 'fetch');
  const answered = await probeReadiness(ctx, asked, ask);
  const outcomes = await mapConcurrent(
    subjects,
    ctx.config.plivo.insightsConcurrency,
    async (subject, index): Promise<InsightsOutcome> => {
      const chosen = choice[index];
      if (subject.knownInsights) return { kind: 'ready', insights: subject.knownInsights, known: true };
      if (chosen === 'no-media') return { kind: 'no-media' };
      if (chosen === 'sampled-out') return { kind: 'sampled-out' };
      const probed = answered.get(index);
      if (probed) return probed;
      if (notYet(ctx, subject)) return { kind: 'not-yet' };
      return ask(subject);
    },
  );
  return subjects.map((subject, index) => judge(ctx, subject, outcomes[index] as InsightsOutcome));
}

/** A call that ended when this run already found a call's Insights missing that ended before it. */
function notYet(ctx: InsightsContext, subject: Subject): boolean {
  const from = ctx.insightsReadiness?.notReadyFromMs ?? null;
  const endMs = endMsOf(subject.call);
  return from !== null && endMs !== null && endMs >= from;
}

/**
 * Before a batch's Insights are asked for, how soon Plivo has them: the youngest call is asked
 * first; if its Insights exist, every call's are asked (one round trip more, no request more).
 * If not, a few calls are asked oldest-half-first (halving by age) to find the youngest call
 * that has them and the oldest that has not; a call a little younger than that one is asked
 * too, so that one call whose Insights never come is not taken for the rule. Calls that ended
 * at or after it are then not asked this run (`insightsReadiness`): Insights 2 minutes late at
 * a 1-minute schedule were asked two or three times a call, each "not ready", and now about
 * once. They stay owed, with no look counted (so never judged without their Insights sooner),
 * and are asked in a later run once older than what was ready. Any other answer (an error, a
 * refusal, out of time) ends the probing: the rest are asked as before.
 *
 * Returns the answers already had, by the index of their subject.
 */
async function probeReadiness(
  ctx: InsightsContext,
  asked: ReadonlyArray<{ subject: Subject; index: number }>,
  ask: (subject: Subject) => Promise<InsightsOutcome>,
): Promise<Map<number, InsightsOutcome>> {
  const answered = new Map<number, InsightsOutcome>();
  const readiness = ctx.insightsReadiness;
  if (!readiness || readiness.notReadyFromMs !== null) return answered;
  const byAge = asked
    .map((a) => ({ ...a, endMs: endMsOf(a.subject.call) }))
    .filter((a): a is typeof a & { endMs: number } => a.endMs !== null)
    .sort((a, b) => a.endMs - b.endMs);
  if (byAge.length < MIN_CALLS_TO_PROBE) return answered;
  const probe = async (at: number): Promise<'ready' | 'not-ready' | 'other'> => {
    const entry = byAge[at] as (typeof byAge)[number];
    let outcome = answered.get(entry.index);
    if (!outcome) {
      outcome = await ask(entry.subject);
      answered.set(entry.index, outcome);
      ctx.summary.insightsProbes += 1;
    }
    return outcome.kind === 'ready' || outcome.kind === 'not-ready' ? outcome.kind : 'other';
  };
  const youngest = byAge.length - 1;
  if ((await probe(youngest)) !== 'not-ready') return answered;
  // Ready (or a virtual ready before the oldest) at `ready`, not ready at `notReady`.
  let ready = -1;
  let notReady = youngest;
  while (notReady - ready > 1) {
    const mid = Math.floor((ready + notReady) / 2);
    const answer = await probe(mid);
    if (answer === 'other') return answered;
    if (answer === 'ready') ready = mid;
    else notReady = mid;
  }
  // One call younger than the boundary, unless it is the youngest (known not ready): ready
  // means the boundary was one call whose Insights are late for its own reasons.
  const check = notReady + 1;
  if (check < youngest) {
    const answer = await probe(check);
    if (answer !== 'not-ready') return answered;
  }
  readiness.notReadyFromMs = (byAge[notReady] as (typeof byAge)[number]).endMs;
  ctx.logger.debug('Insights not ready yet for calls that ended since', {
    notReadyFrom: new Date(readiness.notReadyFromMs).toISOString(),
    probes: ctx.summary.insightsProbes,
  });
  return answered;
}

/** A batch with fewer calls to ask is asked as it is: probing it would save nothing. */
const MIN_CALLS_TO_PROBE = 4;

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
  } else if (outcome.kind === 'not-yet') {
    // Younger than a call whose Insights this run found missing: not asked, but it waited as
    // if it had been (so Insights that never come still end in a CDR-only judgement on time).
    summary.insightsNotYet += 1;
    waitedMs += sinceLastLook;
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
