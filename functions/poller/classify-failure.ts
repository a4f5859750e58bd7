import { ConfigError } from '../core/config/load-config';
import { FatalSourceError, SourceUnavailableError } from '../core/errors';
import type { FailureKind, RunOutcome } from '../core/health/run-health';
import { PollIncompleteError, type PollSummary } from '../core/poll/poll-use-case';

/** Maps a failed run's error to what operations are told (the reason is the error's own words). */
export function classifyFailure(error: unknown): { kind: FailureKind; reason: string } {
  const err = error instanceof Error ? error : new Error(String(error));
  const reason = err.message.slice(0, 500);
  if (err.name === 'PlivoAuthError' || err.name === 'CredentialsError')
    return { kind: 'plivo-credentials-rejected', reason };
  if (err instanceof SourceUnavailableError) return { kind: 'plivo-unavailable', reason };
  if (err instanceof FatalSourceError) return { kind: 'unexpected-error', reason };
  if (err instanceof PollIncompleteError) return { kind: 'alerts-not-publishing', reason };
  if (err instanceof ConfigError || err.name === 'RuntimeConfigError')
    return { kind: 'config-invalid', reason };
  if (err.name === 'StateStoreError' || /DynamoDB|ProvisionedThroughput|ResourceNotFound/.test(err.name)) {
    return { kind: 'state-store-failing', reason };
  }
  return { kind: 'unexpected-error', reason: `${err.name}: ${reason}` };
}

/**
 * The health outcome of a run that completed. It can still be a poller that cannot do its job:
 * when every insights request failed, calls pile up unjudged while the runs look green.
 */
export function runOutcome(summary: PollSummary): RunOutcome {
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
  return { ok: true, lagSeconds: summary.lagSeconds };
}
