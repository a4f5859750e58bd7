import type { InsightsOutage, InsightsReadiness } from './fetch-insights';
import type { PollDeps, PollSummary } from '../run-context';
import type { SendContext } from '../send-notice';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * One run as its stages see it, opened once the lease is held: the ports it reads and writes,
 * the config (with the stored silences), the clock, the time left to work in, the summary being
 * filled in, and the context of the one send path (only sendNotice and the notify helpers open
 * it). A stage declares the few of these it needs as its own context type, and takes what
 * earlier stages produced as arguments.
 */
export interface Run extends Pick<
  PollDeps,
  'source' | 'store' | 'logger' | 'config' | 'runId' | 'now' | 'scheduleIntervalMs'
> {
  summary: PollSummary;
  /** Milliseconds left to work in: the runtime's remaining time less the safety margin. */
  usableMs: () => number;
  /** True once the usable time is spent: what is not done by then waits for the next run. */
  outOfTime: () => boolean;
  /**
   * True only when the run must stop now (half the safety margin left). Findings already
   * computed are sent until then: publishing is cheap, and dropping them would hold back
   * alerts that need nothing more (an Insights outage once ate every run's time this way).
   */
  mustStop: () => boolean;
  /** Alerts this run may send one by one (notifications.alertBudget less what recent runs sent). */
  alertsAllowed: number;
  /** Plivo's Insights this run: after a few failures in a row it stops asking (see fetch-insights). */
  insightsOutage: InsightsOutage;
  /** How soon Plivo has Insights, as this run's first asks found (see fetch-insights). */
  insightsReadiness: InsightsReadiness;
  /** Handed to sendNotice: the run's ports and summary, its silences instant and record expiry. */
  send: SendContext;
}

/** Opens the run on `deps`, whose config already holds the stored silences. */
export function openRun(deps: PollDeps, summary: PollSummary, alertsAllowed: number): Run {
  const { config } = deps;
  const safetyMs = config.poll.safetyMarginSeconds * 1000;
  const usableMs = () => deps.remainingTimeMs() - safetyMs;
  const retentionSec = config.state.dedupRetentionDays * DAY_SECONDS;
  return {
    source: deps.source,
    store: deps.store,
    logger: deps.logger,
    config,
    summary,
    runId: deps.runId,
    now: deps.now,
    usableMs,
    outOfTime: () => usableMs() < 0,
    mustStop: () => deps.remainingTimeMs() < safetyMs / 2,
    alertsAllowed,
    insightsOutage: { consecutiveFailures: 0, open: false },
    insightsReadiness: { notReadyFromMs: null },
    scheduleIntervalMs: deps.scheduleIntervalMs,
    send: {
      deps,
      summary,
      // One instant for the whole run, so every notice of it sees the same silences.
      silencedAt: deps.now(),
      expiresAtSec: Math.floor(deps.now().getTime() / 1000) + retentionSec,
    },
  };
}
