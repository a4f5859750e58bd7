import type { Call, CallInsights } from './call';
import type { EvaluatedCalls, EvaluatedEntry } from './evaluated-calls';
import type { GroupState } from './groups/group';
import type { HealthState } from './health/run-health';
import type { RunRecord } from './health/run-log';
import type { StoredSilence } from './stored-silences';
import type { StoredTraffic } from './traffic/traffic-state';
import type { WindowState } from './windowed/window';

/**
 * The range of call end times one run reads from Plivo, half-open: from <= end_time < to.
 * Whole seconds, UTC. ("Window" is kept for the sliding windows of windowed rules.)
 */
export interface ReadRange {
  from: Date;
  to: Date;
}

/** A record the source returned but that could not be understood. Skipped, logged, counted. */
export interface SkippedRecord {
  reason: string;
  /** The record's call_uuid if it had a usable one. */
  callUuid: string | null;
}

export interface ListCallsResult {
  calls: Call[];
  skipped: SkippedRecord[];
  pages: number;
  /** The count the source gave with the list (the highest total_count of its pages), if any. */
  reportedTotal?: number | null;
}

/** Where calls come from (Plivo's Zentrunk Calls API, or its local sandbox). */
export interface CallSource {
  /** Every call whose end_time is in the read range, all pages followed. */
  listCalls(range: ReadRange): Promise<ListCallsResult>;
  /**
   * How many calls ended in the range, as the source reports it (Plivo's total_count, one
   * request), or null when it does not say. Only sizes the work: listing never trusts it.
   */
  countCalls(range: ReadRange): Promise<number | null>;
  /** A call's insights, or null when they are not ready yet (Plivo answers 404). */
  getInsights(callUuid: string): Promise<CallInsights | null>;
}

export interface Cursor {
  /** ISO instant: every call that ended before it has been processed. */
  watermark: string;
  /** Optimistic-lock version; saveCursor is conditional on it. */
  version: number;
}

export interface PendingInsightsItem {
  call: Call;
  /** Runs that asked for this call's insights and heard "not ready yet" (404). */
  attempts: number;
  /**
   * Runs whose insights request failed outright (Plivo errors after retries). Counted apart:
   * an Insights outage must not use up the not-ready budget and drop the call's alerts.
   */
  errors?: number;
  /**
   * How long Plivo has said "not ready" (or refused): the schedule interval of each run whose
   * look found no insights (see functions/core/schedule.ts), against poll.insightsWaitMinutes.
   * Absent in an item written before the time was kept: read as `attempts` intervals.
   */
  waitedMs?: number;
  /** The same for the runs whose request failed (`errors`): read as `errors` intervals when absent. */
  failedMs?: number;
  /**
   * When a run last asked for its Insights and did not get them (ISO). The next ask waits half
   * the call's age then (at least a schedule interval, at most LOOK_AGAIN_MAX_MS): absent in
   * items written before, which are asked at once.
   */
  lastLookedAt?: string;
  firstSeenAt: string;
  /**
   * Its insights, when they were fetched and the call is owed for another reason (an alert
   * that could not be sent, a run out of time): never asked of Plivo twice.
   */
  insights?: CallInsights;
}

/**
 * 'claimed': ours to send. 'already-sent': it went out before. 'in-progress': another live run
 * holds it. 'dead-letter': the channel refused it for good and it was set aside.
 */
export type ClaimResult = 'claimed' | 'already-sent' | 'in-progress' | 'dead-letter';

/** A notice set aside after the channel refused it for good, kept with its reason. */
export interface DeadLetter {
  /** The notice's dedup key. */
  key: string;
  /** The notice's subject line, so operations can tell which alert it was. */
  subject: string;
  /** What the channel said, in its own words. */
  reason: string;
  /** Runs whose publish of it the channel refused. */
  rejections: number;
  deadLetteredAt: string;
  /** Whether an operations message has named it yet. */
  reported: boolean;
  /** The findings it stood for, when it was a catch-up summary. */
  covers: string[];
}

/** What setting a notice aside records (see DeadLetter). */
export interface DeadLetterInput {
  subject: string;
  reason: string;
  rejections: number;
  covers?: readonly string[];
  nowMs: number;
  expiresAtSec: number;
}

/**
 * A message recorded before it is published, with the dedup keys it covers (a catch-up
 * summary covers many findings). A run that dies between publishing and recording what it
 * sent leaves its entry behind; the next run sends that same message again and completes
 * what it covers, so the repeat is at most that one message.
 */
export interface OutboxEntry {
  key: string;
  message: AlertMessage;
  covers: string[];
}

/**
 * A stored item the code cannot read (an outbox entry without its message, a pending call
 * without its call, a group or window without its body, a cursor without its watermark, a
 * health of an unknown status). It is skipped, never fatal: one bad item must not stop every
 * run until its TTL. Reported by the run (log, metric, run log, `status`).
 */
export interface UnreadableItem {
  operation: string;
  /** Which item (its sort key or kind), never its content. */
  item: string;
  reason: string;
}

/** Stores whose reads may skip unreadable items say which, once each, to the run that read them. */
export interface ReportsUnreadableItems {
  /** The items skipped since the last call (each reported once). */
  takeUnreadable(): UnreadableItem[];
}

/** Where the poller has read up to. */
export interface CursorStore {
  getCursor(): Promise<Cursor | null>;
  /** Writes the watermark only if the stored version is still `expectedVersion` (null: no cursor yet). */
  saveCursor(watermark: string, expectedVersion: number | null): Promise<void>;
}

/** Each notice's claim, sent record, refusals and dead letter, and the outbox of recorded messages. */
export interface AlertLedger {
  /**
   * Claims the right to publish one alert (conditional put, never read-then-write).
   * 'claimed': nobody has sent it and nobody is sending it now (or a stale in-progress claim
   * expired and was taken over). 'already-sent': it was published before. 'in-progress':
   * another live run holds the claim.
   */
  claimAlert(
    key: string,
    opts: { nowMs: number; inProgressUntilMs: number; expiresAtSec: number },
  ): Promise<ClaimResult>;
  /** Marks a claimed alert as sent, after the notifier accepted it. */
  completeAlert(key: string, opts: { nowMs: number; messageId: string; expiresAtSec: number }): Promise<void>;
  /**
   * Gives a claim back after a failed publish so that a later run can retry. With `rejection`
   * (the channel refused this message for good) the refusal is counted on the record; returns
   * how many runs have had it refused so far (0 without `rejection`).
   */
  releaseAlert(key: string, rejection?: { reason: string }): Promise<number>;
  /** Sets a claimed notice aside for good: never claimed again, listed with its reason. */
  deadLetterAlert(key: string, letter: DeadLetterInput): Promise<void>;
  /** Dead letters of this poller still within their retention. */
  listDeadLetters(): Promise<DeadLetter[]>;
  /** Records that an operations message named these dead letters. */
  markDeadLettersReported(keys: string[]): Promise<void>;

  /** Records a message about to be published (see OutboxEntry). */
  putOutbox(entry: OutboxEntry, expiresAtSec: number): Promise<void>;
  /** Messages a run recorded and did not see through (it died mid-send). */
  listOutbox(): Promise<OutboxEntry[]>;
  deleteOutbox(key: string): Promise<void>;
}

/** Per-call progress: calls waiting for their insights, and calls already evaluated. */
export interface CallProgressStore {
  /** Calls whose insights were not ready yet, to be looked at again. */
  listPendingInsights(): Promise<PendingInsightsItem[]>;
  putPendingInsights(items: PendingInsightsItem[], expiresAtSec: number): Promise<void>;
  deletePendingInsights(callUuids: string[]): Promise<void>;

  /**
   * Calls recorded as fully evaluated by a record that overlaps the range (of end times): a
   * superset of the evaluated calls that ended in it (calls outside it may be included), with
   * their end times, so a run can count how many of a range's calls it has already seen.
   */
  getEvaluatedCalls(range: ReadRange): Promise<EvaluatedCalls>;
  /**
   * Records that these calls, all of which ended within `span`, are fully evaluated: one
   * compact record per batch (about 18 bytes a call: the id and the end time's offset in the
   * span), never an item per call, so the state table's writes grow with batches and alerts
   * rather than with calls.
   */
  recordEvaluatedCalls(
    span: ReadRange,
    calls: readonly EvaluatedEntry[],
    expiresAtSec: number,
  ): Promise<void>;
}

/** The lease that keeps runs apart. */
export interface LeaseStore {
  /** Takes the poller lease if free or expired. False when another live run holds it. */
  acquireLease(owner: string, opts: { nowMs: number; untilMs: number }): Promise<boolean>;
  releaseLease(owner: string): Promise<void>;
}

/** The poller's own health and its run log. */
export interface HealthStore {
  /** The poller's own health (failure streak, whether operations were told); null before the first run. */
  getHealth(): Promise<HealthState | null>;
  saveHealth(health: HealthState): Promise<void>;
  /** Appends one run to the run log (`zentrunk-alerts status`). */
  recordRun(record: RunRecord): Promise<void>;
  /** The latest runs of the run log, newest first (at most `limit`). */
  listRuns(limit?: number): Promise<RunRecord[]>;
}

/** Incident state: alert groups and windowed rules. */
export interface IncidentStore {
  /** Alert groups (incidents) of this poller, firing and recently resolved. */
  listGroups(): Promise<GroupState[]>;
  /** Saves a group if its stored version is still `group.version`; returns the new version. */
  saveGroup(group: GroupState, expiresAtSec: number): Promise<number>;

  /** Windowed-rule states (sliding windows, baselines, flap history), one per rule and group. */
  listWindows(): Promise<WindowState[]>;
  saveWindow(window: WindowState, expiresAtSec: number): Promise<number>;

  /** The traffic baseline and the traffic rules' incidents: two items per trunk and the account (functions/core/traffic). */
  listTraffic(): Promise<StoredTraffic[]>;
  /** Saves a traffic item if its stored version is still `item.version`; returns the new version. */
  saveTraffic(item: StoredTraffic, expiresAtSec: number): Promise<number>;
}

/** Silences stored by the CLI. */
export interface SilenceStore {
  /** Silences added with the CLI (`silence add`), ended ones included until they expire from the table. */
  listSilences(): Promise<StoredSilence[]>;
}

/**
 * The poller's state, by concern. One DynamoDB table implements all of it
 * (functions/adapters/dynamodb), and so does the in-memory store (functions/adapters/memory);
 * a piece of code that needs one concern asks for that interface only.
 */
export interface StateStore
  extends CursorStore, AlertLedger, CallProgressStore, LeaseStore, HealthStore, IncidentStore, SilenceStore {}

/** A rendered notification, ready for any channel. */
export interface AlertMessage {
  /** Stable identity of the alert: the dedup key pagers and chat threads can use. */
  dedupKey: string;
  /** < 100 characters, one line. */
  subject: string;
  /** Full text for humans (email, terminal). */
  text: string;
  /**
   * The structured parts of `text` the chat form is built from (never parsed back out of the
   * text): what happened, and what to check next.
   */
  overview?: string;
  nextSteps?: readonly string[];
  /** Short text, <= 160 characters (SMS). */
  shortText: string;
  /** Structured form for machine subscribers. */
  json: Record<string, unknown>;
  /** SNS message attributes, for subscription filter policies. */
  attributes: Record<string, string>;
  /**
   * Set when the topic feeds Amazon Q Developer in chat applications: the custom-notification
   * form, sent as the default and HTTPS bodies instead of the machine JSON.
   */
  chat?: Record<string, unknown>;
}

export interface Notifier {
  /** Resolves once the channel accepted the message; rejects otherwise. */
  publish(message: AlertMessage): Promise<{ messageId: string }>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
