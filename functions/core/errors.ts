/**
 * Errors the poll use case must tell apart. Adapters throw subclasses; the use case only
 * asks "can this run go on?".
 */

/** The call source rejected us for good (e.g. Plivo credentials refused): stop the run, no retry. */
export class FatalSourceError extends Error {
  override name = 'FatalSourceError';
}

/** The call source failed after its own retries (throttled, 5xx, timeouts, bad bodies). */
export class SourceUnavailableError extends Error {
  override name = 'SourceUnavailableError';
}

/**
 * One call's request was refused for good (its Insights answered 400, 403, 410 or another 4xx
 * that is not 404 "not ready" and not 401). It belongs to that call, never to the run: the call
 * is retried within its budget, then judged on its CDR alone.
 */
export class CallRequestRefusedError extends Error {
  override name = 'CallRequestRefusedError';
}

/**
 * The notification channel refused this one message for good (SNS InvalidParameter: a message
 * it will never accept). Retrying the same message cannot help; other messages may still go
 * through. Errors that concern every message (topic gone, access denied, KMS) are not this.
 */
export class NotificationRejectedError extends Error {
  override name = 'NotificationRejectedError';
}
