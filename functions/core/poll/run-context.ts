import { toChatNotification } from '../chat-notification';
import type { AlertConfig } from '../config/schema';
import type { AlertMessage, CallSource, ClaimResult, Logger, Notifier, StateStore } from '../ports';

/**
 * What every step of a poll run shares: its ports and settings (PollDeps), the summary it
 * fills in, and the small helpers the notification steps have in common.
 */

export interface PollDeps {
  source: CallSource;
  store: StateStore;
  notifier: Notifier;
  logger: Logger;
  config: AlertConfig;
  now: () => Date;
  /** Milliseconds before the runtime stops this run (Lambda's getRemainingTimeInMillis). */
  remainingTimeMs: () => number;
  /** Identifies this run in the lease and the logs. */
  runId: string;
  /** How often runs start (the deployment's schedule); 5 minutes when not given. */
  scheduleIntervalMs?: number;
}

export type PollStatus = 'completed' | 'partial' | 'skipped-lease-held';

export interface PollSummary {
  status: PollStatus;
  runId: string;
  readRange: { from: string; to: string } | null;
  firstRun: boolean;
  /** Calls Plivo counted in the read range before it was read (null: it did not say). */
  callsInRange: number | null;
  callsSeen: number;
  callsAlreadyEvaluated: number;
  /** Slices of the read range finished (each saved before the next), and those left for the next run. */
  slices: number;
  slicesLeft: number;
  /**
   * Share of calls given an Insights request this run: 1 unless calls arrived faster than the
   * Plivo budget can fetch Insights for (then the rest are judged on their CDR alone).
   */
  insightsShare: number;
  /** Calls given an Insights request (answered or not). */
  insightsSampled: number;
  /** Calls judged on their CDR alone because the budget could not fetch their Insights. */
  insightsSampledOut: number;
  /** Calls without media (never answered, no talk time): no Insights request needed. */
  insightsSkippedNoMedia: number;
  pendingRetried: number;
  insightsFetched: number;
  insightsNotReady: number;
  insightsErrors: number;
  /** Insights requests Plivo refused for that call (a 4xx other than 404/401/429). */
  insightsRefused: number;
  insightsGaveUp: number;
  insightsDeferredForTime: number;
  /** Calls whose Insights were not asked for because Plivo's Insights kept failing this run. */
  insightsDeferredForOutage: number;
  /** Calls not asked for their Insights yet: a call that ended before them had none (fetch-insights.ts). */
  insightsNotYet: number;
  /** Insights requests asked first, to find how soon Plivo has them (also counted as fetched or not ready). */
  insightsProbes: number;
  /** The run stopped trusting Plivo's count of calls (a listed slice held far fewer or more). */
  countDistrusted: boolean;
  /** The read range had a part past the watermark (not only the overlap read again). */
  newRange: boolean;
  /** Count requests spent finding late CDRs in the overlap (instead of listing it again). */
  lateCountRequests: number;
  /** Parts of the overlap listed again because Plivo counted more calls there than were seen. */
  lateParts: number;
  /** Calls found in those parts that no earlier run had seen (late CDRs). */
  lateCalls: number;
  findings: number;
  findingsByRule: Record<string, number>;
  alertsPublished: number;
  alertsPublishedByRule: Record<string, number>;
  duplicatesSuppressed: number;
  alertsInProgressElsewhere: number;
  /** Notices the channel did not accept this run (each fails the run; they stay owed). */
  publishFailures: number;
  /** Why, one line per failed notice (its key and the channel's words). */
  publishFailureReasons: string[];
  /** Notices set aside this run after the channel refused them run after run. */
  alertsDeadLettered: number;
  deadLetters: Array<{ key: string; subject: string; reason: string }>;
  /** Findings muted by a silence or quiet period: recorded as notified, never sent. */
  alertsSilenced: number;
  alertsSilencedByRule: Record<string, number>;
  /** Findings counted into alert groups (grouping.enabled) instead of alerted one by one. */
  findingsGrouped: number;
  /** Group notices sent: firing, updates, reminders, resolutions (also in alertsPublished). */
  groupNotices: number;
  groupNoticesByKind: Record<string, number>;
  /** Windowed-rule notices sent (firing, reminders, resolutions; also in alertsPublished). */
  windowNotices: number;
  windowNoticesByKind: Record<string, number>;
  /** Traffic-rule notices sent (firing, update, resolved; also in alertsPublished). */
  trafficNotices: number;
  trafficNoticesByKind: Record<string, number>;
  /** Trunk judgements of the traffic rules this run (the account counted as one), and traffic items written. */
  trafficJudged: number;
  trafficWrites: number;
  /** The settle time the traffic rules used (seconds; null: not judged this run). */
  trafficSettleSeconds: number | null;
  /**
   * The account's calls and outbound spend (USD) in its last settled traffic-drop window, and
   * what the baseline expects there (null: nothing learnt for it yet): the dashboard's traffic
   * graphs, for the account only (a metric per trunk would be one per trunk). Null: not judged.
   */
  trafficAccount: {
    from: string;
    to: string;
    calls: number;
    expectedCalls: number | null;
    spend: number;
    expectedSpend: number | null;
  } | null;
  /** Findings past notifications.alertBudget, sent inside a catch-up summary. */
  findingsSummarized: number;
  catchUpSummaries: number;
  /** Catch-up summaries built this run (numbers their ids when one run sends several). */
  catchUpParts: number;
  recordsSkipped: number;
  cursorAdvanced: boolean;
  watermark: string | null;
  /** Seconds between the end of the run and the watermark it leaves (how far behind we are). */
  lagSeconds: number | null;
  durationMs: number;
}

export function emptySummary(runId: string): PollSummary {
  return {
    status: 'completed',
    runId,
    readRange: null,
    firstRun: false,
    callsInRange: null,
    callsSeen: 0,
    callsAlreadyEvaluated: 0,
    lateCountRequests: 0,
    lateParts: 0,
    lateCalls: 0,
    slices: 0,
    slicesLeft: 0,
    insightsShare: 1,
    insightsSampled: 0,
    insightsSampledOut: 0,
    insightsSkippedNoMedia: 0,
    pendingRetried: 0,
    insightsFetched: 0,
    insightsNotReady: 0,
    insightsErrors: 0,
    insightsRefused: 0,
    insightsGaveUp: 0,
    insightsDeferredForTime: 0,
    insightsDeferredForOutage: 0,
    insightsNotYet: 0,
    insightsProbes: 0,
    countDistrusted: false,
    newRange: false,
    findings: 0,
    findingsByRule: {},
    alertsPublished: 0,
    alertsPublishedByRule: {},
    duplicatesSuppressed: 0,
    alertsInProgressElsewhere: 0,
    publishFailures: 0,
    publishFailureReasons: [],
    alertsDeadLettered: 0,
    deadLetters: [],
    alertsSilenced: 0,
    alertsSilencedByRule: {},
    findingsGrouped: 0,
    groupNotices: 0,
    groupNoticesByKind: {},
    windowNotices: 0,
    windowNoticesByKind: {},
    trafficNotices: 0,
    trafficNoticesByKind: {},
    trafficJudged: 0,
    trafficWrites: 0,
    trafficSettleSeconds: null,
    trafficAccount: null,
    findingsSummarized: 0,
    catchUpSummaries: 0,
    catchUpParts: 0,
    recordsSkipped: 0,
    cursorAdvanced: false,
    watermark: null,
    lagSeconds: null,
    durationMs: 0,
  };
}

/**
 * Share of the calls that needed Insights that got a request (0–1): below 1 only when the
 * budget could not serve every call and the rest were judged on their CDR.
 */
export function insightsCoverage(summary: PollSummary): number {
  const needed = summary.insightsSampled + summary.insightsSampledOut;
  return needed === 0 ? 1 : summary.insightsSampled / needed;
}

/** Notices about incidents (alert groups, windowed rules, traffic rules): also counted in alertsPublished. */
export function incidentNoticesOf(summary: PollSummary): number {
  return summary.groupNotices + summary.windowNotices + summary.trafficNotices;
}

export function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Adds the chat form when the alert topic feeds Amazon Q Developer in chat applications. */
export function forChannel(config: AlertConfig, message: AlertMessage): AlertMessage {
  return config.notifications.format === 'amazon-q-chat'
    ? { ...message, chat: toChatNotification(message) }
    : message;
}

/**
 * Claims `key` for this run (conditional put). The claim's in-progress expiry is the run's
 * remaining time, so a claim left by a run that died is taken over by the next one.
 */
export function claimForRun(deps: PollDeps, key: string, expiresAtSec: number): Promise<ClaimResult> {
  const nowMs = deps.now().getTime();
  return deps.store.claimAlert(key, {
    nowMs,
    inProgressUntilMs: nowMs + Math.max(deps.remainingTimeMs(), 1000),
    expiresAtSec,
  });
}
