import { ConfigError } from '../core/config/load-config';
import { FatalSourceError, SourceUnavailableError } from '../core/errors';
import type { FailureKind } from '../core/health/run-health';
import { PollIncompleteError } from '../core/poll/poll-use-case';

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
