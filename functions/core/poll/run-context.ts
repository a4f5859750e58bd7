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
}

export type PollStatus = 'completed' | 'partial' | 'skipped-lease-held';

export interface PollSummary {
  status: PollStatus;
  runId: string;
  readRange: { from: string; to: string } | null;
  firstRun: boolean;
  callsSeen: number;
  callsAlreadyEvaluated: number;
  pendingRetried: number;
  insightsFetched: number;
  insightsNotReady: number;
  insightsErrors: number;
  /** Insights requests Plivo refused for that call (a 4xx other than 404/401/429). */
  insightsRefused: number;
  insightsGaveUp: number;
  insightsDeferredForTime: number;
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
  /** Findings past notifications.maxAlertsPerRun, sent inside a catch-up summary. */
  findingsSummarized: number;
  catchUpSummaries: number;
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
    callsSeen: 0,
    callsAlreadyEvaluated: 0,
    pendingRetried: 0,
    insightsFetched: 0,
    insightsNotReady: 0,
    insightsErrors: 0,
    insightsRefused: 0,
    insightsGaveUp: 0,
    insightsDeferredForTime: 0,
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
    findingsSummarized: 0,
    catchUpSummaries: 0,
    recordsSkipped: 0,
    cursorAdvanced: false,
    watermark: null,
    lagSeconds: null,
    durationMs: 0,
  };
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
