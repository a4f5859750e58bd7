import { AlerterError } from '../core/errors';
import type { FailureKind, RunOutcome } from '../core/health/run-health';
import type { PollSummary } from '../core/poll/poll-use-case';
import { cutText } from '../core/untrusted-text';

/**
 * Maps a failed run's error to what operations are told (the reason is the error's own words,
 * scrubbed of every registered secret before it is cut, so no piece of one survives the cut).
 */
export function classifyFailure(
  error: unknown,
  scrub: (text: string) => string = (text) => text,
): { kind: FailureKind; reason: string } {
  const err = error instanceof Error ? error : new Error(String(error));
  const reason = cutText(scrub(err.message), 500, '…');
  // The project's own errors say what they mean.
  if (err instanceof AlerterError && err.failure !== 'unexpected-error') return { kind: err.failure, reason };
  // The AWS SDK's DynamoDB errors that reach here unwrapped (the store wraps its own calls).
  if (/DynamoDB|ProvisionedThroughput|ResourceNotFound/.test(err.name)) {
    return { kind: 'state-store-failing', reason };
  }
  if (err instanceof AlerterError) return { kind: 'unexpected-error', reason };
  return { kind: 'unexpected-error', reason: `${err.name}: ${reason}` };
}

/**
 * The health outcome of a run that completed. It can still be a poller that cannot do its job:
 * when every insights request failed, calls pile up unjudged while the runs look green.
 */
export function runOutcome(summary: PollSummary): RunOutcome {
  // Calls wait past a cursor the run could not move (a count that lied, the run's time spent
  // elsewhere): the lag grows with every such run. Not a success, and operations hear at once.
  if (cursorStuck(summary)) {
    return {
      ok: false,
      kind: 'falling-behind',
      reason: `the run could not move the cursor while ${summary.slicesLeft} slice(s) of calls wait past it`,
      immediate: true,
    };
  }
  if (summary.insightsErrors > 0 && summary.insightsFetched === 0) {
    return {
      ok: false,
      kind: 'plivo-unavailable',
      reason: `all ${summary.insightsErrors} Plivo Insights request(s) of the run failed after retries; their calls are kept and retried`,
    };
  }
  // Plivo refusing one call's Insights belongs to that call; refusing every one (a role that
  // lost access to Insights, an API change) means no quality rule can fire: tell operations.
  if (summary.insightsRefused >= 3 && summary.insightsFetched === 0) {
    return {
      ok: false,
      kind: 'plivo-unavailable',
      reason: `Plivo refused all ${summary.insightsRefused} Insights request(s) of the run (HTTP 4xx for each call); calls are judged on their CDR alone`,
    };
  }
  // Every notice of the run was refused for good and set aside: a message-building fault or an
  // SNS rule that turns every alert into a dead letter must not look like a healthy poller.
  if (summary.alertsDeadLettered > 0 && summary.alertsPublished === 0) {
    return {
      ok: false,
      kind: 'alerts-not-publishing',
      reason: `SNS refused every notice of the run for good; ${summary.alertsDeadLettered} were set aside as dead letters and nothing was delivered`,
    };
  }
  return { ok: true, lagSeconds: summary.lagSeconds };
}

/** The run ended with calls left past the cursor and had not moved it at all. */
export function cursorStuck(
  summary: Pick<PollSummary, 'cursorAdvanced' | 'slicesLeft' | 'newRange'>,
): boolean {
  // Only calls past the watermark count: a run that ran out of time in the overlap it read
  // again has nothing waiting on it.
  return !summary.cursorAdvanced && summary.slicesLeft > 0 && summary.newRange !== false;
}
