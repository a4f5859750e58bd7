import { incidentNoticesOf, type PollSummary } from '../poll/run-context';
import type { Logger, ReportsUnreadableItems, UnreadableItem } from '../ports';
import type { FailureKind } from './run-health';

/**
 * One poll run as `zentrunk-alerts status` shows it: when, how it ended, what it did. The
 * handler writes one per run (kept a week); a failed run carries its error.
 */
export interface RunRecord {
  runId: string;
  startedAt: string;
  finishedAt: string;
  status: PollSummary['status'] | 'failed';
  readRange: { from: string; to: string } | null;
  callsSeen: number;
  findings: number;
  alertsPublished: number;
  alertsSilenced: number;
  /** Group, windowed-rule and traffic-rule notices (also counted in alertsPublished). */
  incidentNotices: number;
  recordsSkipped: number;
  publishFailures: number;
  lagSeconds: number | null;
  durationMs: number;
  error: { kind: FailureKind; reason: string } | null;
  /** Stored items the run could not read and skipped (at most 10 listed; absent: none). */
  unreadableItems?: UnreadableItem[];
}

/** At most this many unreadable items are listed in one run record. */
const UNREADABLE_LISTED = 10;

/**
 * The items `store` skipped as unreadable since the last call (each once), or none for a store
 * that never skips. Told by the run: a warning each, a metric, its run record, `status`.
 */
export function takeUnreadableItems(store: object): UnreadableItem[] {
  const reporter = store as Partial<ReportsUnreadableItems>;
  return typeof reporter.takeUnreadable === 'function' ? reporter.takeUnreadable() : [];
}

/** The record of a run from its summary (if it got that far) and its failure (if it failed). */
export function runRecordOf(args: {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  summary: PollSummary | null;
  failure: { kind: FailureKind; reason: string } | null;
  unreadable?: readonly UnreadableItem[];
}): RunRecord {
  const { summary } = args;
  return {
    runId: args.runId,
    startedAt: args.startedAt.toISOString(),
    finishedAt: args.finishedAt.toISOString(),
    status: args.failure ? 'failed' : (summary?.status ?? 'failed'),
    readRange: summary?.readRange ?? null,
    callsSeen: summary?.callsSeen ?? 0,
    findings: summary?.findings ?? 0,
    alertsPublished: summary?.alertsPublished ?? 0,
    alertsSilenced: summary?.alertsSilenced ?? 0,
    incidentNotices: summary ? incidentNoticesOf(summary) : 0,
    recordsSkipped: summary?.recordsSkipped ?? 0,
    publishFailures: summary?.publishFailures ?? 0,
    lagSeconds: summary?.lagSeconds ?? null,
    durationMs: args.finishedAt.getTime() - args.startedAt.getTime(),
    error: args.failure,
    ...(args.unreadable && args.unreadable.length > 0
      ? { unreadableItems: args.unreadable.slice(0, UNREADABLE_LISTED) }
      : {}),
  };
}

/** Writes the record; never throws (the run log is for people, the run's outcome stands without it). */
export async function recordRun(
  store: { recordRun(record: RunRecord): Promise<void> },
  logger: Logger,
  record: RunRecord,
): Promise<void> {
  try {
    await store.recordRun(record);
  } catch (error) {
    logger.warn('Could not write the run log', { error: (error as Error).message });
  }
}
