import { AlerterError, type FailureKind } from '../../errors';
import type { Logger } from '../../ports';
import type { PollSummary } from '../run-context';
import type { RunPlan } from './plan';

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

export interface ReportContext {
  logger: Logger;
  summary: PollSummary;
  now: () => Date;
}

/** Says where the run stopped short of its range, and how far behind the watermark it leaves is. */
export function reportProgress(ctx: ReportContext, plan: Pick<RunPlan, 'range' | 'cursor'>): void {
  const { logger, summary } = ctx;
  if (summary.slicesLeft > 0) {
    logger.warn(
      'Run stopped before the end of its read range to stay within its time limit; the next run continues',
      {
        slicesDone: summary.slices,
        watermark: summary.watermark,
        readTo: plan.range.to.toISOString(),
      },
    );
  } else if (summary.insightsDeferredForTime > 0) {
    logger.warn('Run stopped early to stay within its time limit; the next run continues', {
      deferred: summary.insightsDeferredForTime,
    });
  }
  const lagFrom = summary.watermark ?? plan.cursor?.watermark ?? null;
  summary.lagSeconds =
    lagFrom === null ? null : Math.max(0, Math.round((ctx.now().getTime() - Date.parse(lagFrom)) / 1000));
}

/**
 * Ends the run's summary (its duration) and returns it, unless a notice the channel did not
 * take fails the run: whatever kind it was, so the failure is seen (metric, alarm, operations
 * message) instead of hiding in a green run.
 */
export function closeRun(summary: PollSummary, startedMs: number, now: Date): PollSummary {
  summary.durationMs = now.getTime() - startedMs;
  if (summary.publishFailures === 0) return summary;
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
