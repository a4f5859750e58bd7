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
