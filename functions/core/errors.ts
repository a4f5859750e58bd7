/**
 * Errors the poller must tell apart. Every error of the project's own carries the failure kind
 * operations are told when it ends a run, so classifying a failed run is a lookup
 * (functions/poller/classify-failure.ts), not a chain of instanceof checks and name strings.
 * The poll use case itself only asks "can this run go on?" (FatalSourceError or not).
 */

/** Why the poller cannot do its job, in words on-call can act on. */
export type FailureKind =
  | 'plivo-credentials-rejected'
  | 'plivo-credentials-missing'
  | 'plivo-unavailable'
  | 'config-invalid'
  | 'invocation-invalid'
  | 'state-store-failing'
  | 'alerts-not-publishing'
  | 'falling-behind'
  | 'unexpected-error';

/** The base of the project's errors: what operations are told when one ends a run. */
export class AlerterError extends Error {
  override name = 'AlerterError';
  readonly failure: FailureKind = 'unexpected-error';
}

/** The call source rejected us for good (e.g. Plivo credentials refused): stop the run, no retry. */
export class FatalSourceError extends AlerterError {
  override name = 'FatalSourceError';
}

/** The call source failed after its own retries (throttled, 5xx, timeouts, bad bodies). */
export class SourceUnavailableError extends AlerterError {
  override name = 'SourceUnavailableError';
  override readonly failure: FailureKind = 'plivo-unavailable';
}

/**
 * One call's request was refused for good (its Insights answered 400, 403, 410 or another 4xx
 * that is not 404 "not ready" and not 401). It belongs to that call, never to the run: the call
 * is retried within its budget, then judged on its CDR alone.
 */
export class CallRequestRefusedError extends AlerterError {
  override name = 'CallRequestRefusedError';
}

/**
 * The notification channel refused this one message for good (SNS InvalidParameter: a message
 * it will never accept). Retrying the same message cannot help; other messages may still go
 * through. Errors that concern every message (topic gone, access denied, KMS) are not this.
 */
export class NotificationRejectedError extends AlerterError {
  override name = 'NotificationRejectedError';
  override readonly failure: FailureKind = 'alerts-not-publishing';
}
