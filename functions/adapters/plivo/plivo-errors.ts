import {
  type FailureKind,
  CallRequestRefusedError,
  FatalSourceError,
  SourceUnavailableError,
} from '../../core/errors';

/**
 * What Plivo answered, as far as it is safe to repeat. Built by the client, which never puts
 * the auth token or the Authorization header into it: `request` is the endpoint path with the
 * Auth ID replaced by `{auth_id}` plus the (secret-free) query.
 */
export interface PlivoFailureDetails {
  /** HTTP status, or null when no response arrived (network error, timeout). */
  status: number | null;
  /** Plivo's own `error` text, or a short excerpt of the body. */
  plivoMessage: string | null;
  request: string;
  /** Plivo's `X-Request-ID`, for support tickets. */
  requestId: string | null;
}

function describe(details: PlivoFailureDetails): string {
  const parts = [details.status === null ? 'no HTTP response' : `HTTP ${details.status}`];
  if (details.plivoMessage) parts.push(`Plivo says: ${details.plivoMessage}`);
  parts.push(`request: ${details.request}`);
  if (details.requestId) parts.push(`X-Request-ID: ${details.requestId}`);
  return parts.join('; ');
}

/** 401 (any request) or 403 (outside Insights): the Auth ID / Auth Token pair was refused. Retrying cannot help. */
export class PlivoAuthError extends FatalSourceError {
  override name = 'PlivoAuthError';
  override readonly failure: FailureKind = 'plivo-credentials-rejected';
  readonly status: number;
  readonly plivoMessage: string | null;
  readonly requestId: string | null;

  constructor(details: PlivoFailureDetails) {
    super(`Plivo rejected the credentials (${describe(details)})`);
    this.status = details.status ?? 401;
    this.plivoMessage = details.plivoMessage;
    this.requestId = details.requestId;
  }
}

/**
 * An answer to a request that is not about one call's Insights that retrying cannot fix, by
 * `kind`: `bad-request`, a 400 (Plivo refused the request itself: a filter, a range over 90
 * days; a bug or bad config), or `unexpected-response`, anything else (404 outside Insights,
 * 405, 410, a redirect: the base URL or the API changed under us). Fatal to the run; operations
 * are told `unexpected-error` (the AlerterError default).
 */
export class PlivoRequestError extends FatalSourceError {
  override name = 'PlivoRequestError';
  readonly kind: 'bad-request' | 'unexpected-response';
  readonly status: number | null;
  readonly plivoMessage: string | null;
  readonly request: string;
  readonly requestId: string | null;

  constructor(details: PlivoFailureDetails) {
    const kind = details.status === 400 ? 'bad-request' : 'unexpected-response';
    super(
      `${kind === 'bad-request' ? 'Plivo refused the request' : 'Unexpected answer from Plivo'} (${describe(details)})`,
    );
    this.kind = kind;
    this.status = details.status;
    this.plivoMessage = details.plivoMessage;
    this.request = details.request;
    this.requestId = details.requestId;
  }
}

/**
 * One call's Insights request refused for good: any 4xx but 401 (the credentials), 404 (not
 * ready yet), 408 and 429 (retried) — e.g. 400, 403, 405, 410, 422. It concerns that call only:
 * the run goes on, the call is retried within its budget, then judged on its CDR alone.
 */
export class PlivoCallRefusedError extends CallRequestRefusedError {
  override name = 'PlivoCallRefusedError';
  readonly status: number;
  readonly callUuid: string;
  readonly plivoMessage: string | null;
  readonly request: string;
  readonly requestId: string | null;

  constructor(details: PlivoFailureDetails & { status: number; callUuid: string }) {
    super(`Plivo refused the request for call ${details.callUuid} (${describe(details)})`);
    this.status = details.status;
    this.callUuid = details.callUuid;
    this.plivoMessage = details.plivoMessage;
    this.request = details.request;
    this.requestId = details.requestId;
  }
}

/** 429, 5xx, network errors, timeouts or unreadable bodies, still failing after every attempt. */
export class PlivoUnavailableError extends SourceUnavailableError {
  override name = 'PlivoUnavailableError';
  /** Status of the last attempt, or null when it got no response. */
  readonly lastStatus: number | null;
  readonly attempts: number;
  readonly request: string;

  constructor(details: PlivoFailureDetails & { attempts: number; reason: string }) {
    super(`Plivo unavailable after ${details.attempts} attempt(s): ${details.reason} (${describe(details)})`);
    this.lastStatus = details.status;
    this.attempts = details.attempts;
    this.request = details.request;
  }
}
