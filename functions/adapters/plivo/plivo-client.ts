import type { Call, CallInsights, HangupSource, StirVerification } from '../../core/call';
import type { AlertConfig } from '../../core/config/schema';
import type { CallSource, ReadRange, ListCallsResult, Logger, SkippedRecord } from '../../core/ports';
import {
  isUsableCallUuid,
  type ListEnvelope,
  normalizeCall,
  normalizeInsights,
  parseListEnvelope,
} from './payload-schemas';
import {
  type PlivoFailureDetails,
  PlivoAuthError,
  PlivoCallRefusedError,
  PlivoUnavailableError,
  PlivoRequestError,
} from './plivo-errors';
import { backoffMs, sleep } from '../../core/time';
import { MAX_RETRY_AFTER_MS, raceAbort, RateLimiter } from './rate-limiter';
import { clip, oneLine, SecretScrubber } from './upstream-text';

/** Plivo's largest page. */
export const PAGE_LIMIT = 20;
/** Plivo answers 400 to an end_time range longer than this. */
export const MAX_RANGE_DAYS = 90;
const MAX_RANGE_MS = MAX_RANGE_DAYS * 24 * 60 * 60 * 1000;
/** Full-jitter backoff: attempt n waits random() * min(cap, base * 2^(n-1)). */
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;
/** A runaway-paging guard (200,000 calls in one window): Plivo always reporting more pages. */
const DEFAULT_MAX_PAGES = 10_000;
/** Paging fails after this many pages in a row that brought no call not already listed. */
const NO_PROGRESS_PAGES = 3;
/**
 * List pages asked for ahead of the one being processed, at most: enough to keep the budget
 * busy while listing, `maxRequestsPer5s` / 5 s × 300 ms (twice the slowest latency seen,
 * 150 ms), between 2 and 16 (300 / 5 s → 16, 150 → 9, 60 → 4). See listCalls.
 */
const LIST_AHEAD_LATENCY_MS = 300;
const LIST_AHEAD_MAX = 16;
/**
 * Largest 2xx body read (a page of 20 CDRs is ~20 KB, an Insights answer ~1 KB). A larger one
 * is refused like an unreadable body: retried, then unavailable. Read as a stream with a byte
 * limit, never buffered whole.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Of an error answer only the beginning is read: it is only quoted (Plivo's `error`, an excerpt). */
const ERROR_BODY_BYTES = 64 * 1024;
/** Caps on what is repeated of upstream text, always applied after the secrets are scrubbed. */
const MESSAGE_EXCERPT = 200;
const REQUEST_ID_MAX = 128;
const REASON_MAX = 500;
/** A Retry-After longer than this is not a number of seconds or an HTTP date: ignored. */
const RETRY_AFTER_MAX = 64;

/**
 * Server-side filters of the calls list (all optional, never sent empty). The first three
 * are `plivo.callFilters` in the config; the others are the rest of what Plivo documents.
 */
export interface ListCallFilters {
  callDirection?: 'inbound' | 'outbound';
  /** Number or prefix; a leading '+' is stripped, as Plivo's CLI does. */
  fromNumber?: string;
  toNumber?: string;
  hangupSource?: HangupSource;
  hangupCauseCode?: number;
  stirVerification?: StirVerification;
  /** Billed seconds: exact value and/or bounds. */
  billDurationSec?: { eq?: number; gt?: number; gte?: number; lt?: number; lte?: number };
}

/** Cumulative request counters since the client was made. */
export interface PlivoClientStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  retries: number;
  /** 429 answers. */
  throttled: number;
  /** 5xx answers. */
  serverErrors: number;
  /** No response: connection refused or reset, body cut off. */
  networkErrors: number;
  /** requestTimeoutMs passed (or HTTP 408). */
  timeouts: number;
  /** 2xx answers whose body was not JSON or not the expected shape. */
  invalidBodies: number;
}

/** Counters before any request. */
export function emptyPlivoStats(): PlivoClientStats {
  return {
    requests: 0,
    retries: 0,
    throttled: 0,
    serverErrors: 0,
    networkErrors: 0,
    timeouts: 0,
    invalidBodies: 0,
  };
}

export interface PlivoClientOptions {
  /** e.g. https://api.plivo.com (no trailing path needed). */
  baseUrl: string;
  authId: string;
  authToken: string;
  config: AlertConfig['plivo'];
  /**
   * If it keeps secrets (has `addSecret`, as JsonLogger does), the client registers the token
   * and the base64 credentials with it, so that every line it writes is scrubbed of them.
   */
  logger: Logger;
  fetch?: typeof fetch;
  /** Used for backoff and by the rate limiter; pass a fake together with `now`. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  maxPages?: number;
  /** Share one limiter between clients of the same account (e.g. after new credentials). */
  limiter?: RateLimiter;
  /** Largest 2xx body accepted; default MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /**
   * List pages asked for ahead at most; default from maxRequestsPer5s (see LIST_AHEAD_LATENCY_MS).
   * 0: one page at a time.
   */
  listPagesAhead?: number;
}

/** UTC `YYYY-MM-DD HH:MM:SS`, the format of Plivo's end_time filters. */
export function formatPlivoTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Plivo's end times have whole seconds: `end >= t` ⟺ `end >= ceil(t)`, likewise for `<`. */
function ceilToSecond(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000);
}

function checkRange(range: ReadRange): { from: Date; to: Date } {
  const { from, to } = range;
  if (!(from instanceof Date) || !(to instanceof Date) || Number.isNaN(from.getTime() + to.getTime())) {
    throw new RangeError('Call window bounds must be valid dates');
  }
  const gte = ceilToSecond(from);
  const lt = ceilToSecond(to);
  if (lt.getTime() < gte.getTime()) {
    throw new RangeError(`Call window ends before it starts: ${from.toISOString()} .. ${to.toISOString()}`);
  }
  if (lt.getTime() - gte.getTime() > MAX_RANGE_MS) {
    throw new RangeError(
      `Call window ${from.toISOString()} .. ${to.toISOString()} is longer than the ${MAX_RANGE_DAYS} days Plivo accepts`,
    );
  }
  return { from: gte, to: lt };
}

function numberFilter(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const digits = value.trim().replace(/^\+/, '');
  if (digits === '') return undefined;
  if (!/^\d+$/.test(digits))
    throw new RangeError(`${name} filter must be digits (optionally after '+'): ${value}`);
  return digits;
}

function countFilter(value: number | undefined, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} filter must be a non-negative integer: ${value}`);
  }
  return String(value);
}

const STIR_QUERY: Record<StirVerification, string> = {
  verified: 'Verified',
  'not-verified': 'Not Verified',
  'not-applicable': 'Not Applicable',
};

/**
 * The query of one list page: calls with `from <= end_time < to` (end_time__gte / end_time__lt,
 * both documented), the filters that are set, limit and offset. Always both time bounds: without
 * one Plivo silently searches only the last 30 days, and an upper bound alone answers 400.
 * Throws RangeError on a window that is inverted or over 90 days, or a malformed filter.
 */
export function buildListQuery(
  range: ReadRange,
  filters: ListCallFilters,
  page: { offset: number; limit?: number },
): Record<string, string> {
  const { from, to } = checkRange(range);
  const limit = page.limit ?? PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT) {
    throw new RangeError(`limit must be 1..${PAGE_LIMIT}: ${limit}`);
  }
  if (!Number.isSafeInteger(page.offset) || page.offset < 0) {
    throw new RangeError(`offset must be a non-negative integer: ${page.offset}`);
  }
  const q: Record<string, string | undefined> = {
    end_time__gte: formatPlivoTime(from),
    end_time__lt: formatPlivoTime(to),
    call_direction: filters.callDirection || undefined,
    from_number: numberFilter(filters.fromNumber, 'fromNumber'),
    to_number: numberFilter(filters.toNumber, 'toNumber'),
    hangup_source: filters.hangupSource || undefined,
    hangup_cause_code: countFilter(filters.hangupCauseCode, 'hangupCauseCode'),
    stir_verification: filters.stirVerification ? STIR_QUERY[filters.stirVerification] : undefined,
    bill_duration: countFilter(filters.billDurationSec?.eq, 'billDurationSec.eq'),
    bill_duration__gt: countFilter(filters.billDurationSec?.gt, 'billDurationSec.gt'),
    bill_duration__gte: countFilter(filters.billDurationSec?.gte, 'billDurationSec.gte'),
    bill_duration__lt: countFilter(filters.billDurationSec?.lt, 'billDurationSec.lt'),
    bill_duration__lte: countFilter(filters.billDurationSec?.lte, 'billDurationSec.lte'),
    limit: String(limit),
    offset: String(page.offset),
  };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(q)) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

/** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/**
 * At most `maxBytes` of a response body, as text. A body declared (Content-Length) or found
 * to be longer is not read further: the stream is cancelled and `overLimit` set, with the
 * first `maxBytes` in `text` (a declared-too-long body is not read at all when `skipDeclared`).
 */
async function readBody(
  response: Response,
  maxBytes: number,
  skipDeclared: boolean,
): Promise<{ text: string; overLimit: boolean }> {
  const stream = response.body;
  if (!stream) return { text: '', overLimit: false };
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (skipDeclared && Number.isFinite(declared) && declared > maxBytes) {
    await stream.cancel().catch(() => undefined);
    return { text: '', overLimit: true };
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let overLimit = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.byteLength > maxBytes) {
        chunks.push(value.subarray(0, maxBytes - total));
        overLimit = true;
        break;
      }
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    if (overLimit) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return { text: Buffer.concat(chunks).toString('utf8'), overLimit };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

interface RequestSpec<T> {
  /** Path below the account, e.g. `Zentrunk/Call/`. */
  path: string;
  query: Record<string, string>;
  /** A 404 means "not there (yet)" and returns null instead of failing. */
  notFoundAsNull: boolean;
  /**
   * Set for a request about one call whose refusal (a 4xx other than 401, 404, 408, 429) must
   * not stop the run: it throws PlivoCallRefusedError instead of a fatal error.
   */
  refusalConcernsCall?: string;
  parse: (body: unknown) => Parsed<T>;
  /**
   * Abandons the request (a list page asked for ahead and no longer needed): no attempt after
   * the signal, no more waiting for the rate limiter or a backoff. An attempt already sent is
   * answered first (Plivo has counted it anyway), so nothing is left in flight.
   */
  signal?: AbortSignal;
}

/** One failed attempt, as much as is known. */
interface Failure {
  retryable: boolean;
  status: number | null;
  reason: string;
  plivoMessage: string | null;
  requestId: string | null;
  retryAfterMs: number | null;
}

/** What one attempt came to: the value, or a failure to maybe retry. */
type Outcome<T> = { done: true; value: T | null } | { done: false; failure: Failure };

/** A logger that can be told what never to print (JsonLogger). */
interface SecretKeepingLogger extends Logger {
  addSecret(value: string): void;
}

function keepsSecrets(logger: Logger): logger is SecretKeepingLogger {
  return typeof (logger as Partial<SecretKeepingLogger>).addSecret === 'function';
}

/**
 * Plivo's Zentrunk Calls API over HTTP (no Plivo SDK implements it). Every request goes
 * through the rate limiter, has a timeout, and is retried with exponential backoff and full
 * jitter on 429, 5xx, network errors, timeouts and unreadable bodies. Credentials refused
 * (401; 403 outside Insights) and bad requests (400) fail at once. One call's Insights refused
 * with any other 4xx (400, 403, 410 …) throws PlivoCallRefusedError, which concerns that call
 * only; a 404 there means "not ready yet".
 *
 * Secrets: the auth token and the base64 `authId:authToken` of the Authorization header live
 * only in private fields and that header, and are registered with the logger. Everything that
 * comes back (bodies, Plivo's `error`, header values, payload strings) may echo them (a proxy
 * that reflects the request): every string of a parsed body has whole secrets replaced, and
 * every upstream text repeated in an error or a log line is scrubbed of whole secrets and of
 * any 8-character piece of them, then capped. Error messages are scrubbed once more.
 */
export class PlivoClient implements CallSource {
  readonly #authorization: string;
  readonly #scrubber: SecretScrubber;
  private readonly accountUrl: string;
  private readonly config: AlertConfig['plivo'];
  private readonly logger: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly maxPages: number;
  private readonly maxBodyBytes: number;
  private readonly listAhead: number;
  private readonly limiter: RateLimiter;
  private readonly counters: PlivoClientStats = emptyPlivoStats();

  constructor(options: PlivoClientOptions) {
    if (!options.authId || !options.authToken) throw new TypeError('Plivo authId and authToken are required');
    const encoded = Buffer.from(`${options.authId}:${options.authToken}`).toString('base64');
    this.#authorization = `Basic ${encoded}`;
    this.#scrubber = new SecretScrubber(
      [
        this.#authorization,
        encoded,
        // As a proxy may write it back: URL-encoded, or with JSON's optional '\/' escape.
        encodeURIComponent(encoded),
        encoded.replace(/\//g, '\\/'),
        options.authToken,
        encodeURIComponent(options.authToken),
      ],
      [options.authToken, encoded],
      options.authId.length >= 6 ? [[options.authId, '{auth_id}']] : [],
    );
    if (keepsSecrets(options.logger)) {
      options.logger.addSecret(options.authToken);
      options.logger.addSecret(encoded);
      options.logger.addSecret(this.#authorization);
    }
    this.accountUrl = `${options.baseUrl.replace(/\/+$/, '')}/v1/Account/${encodeURIComponent(options.authId)}/`;
    this.config = options.config;
    this.logger = options.logger;
    const f = options.fetch ?? globalThis.fetch;
    this.fetchImpl = (input, init) => f(input, init);
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.listAhead =
      options.listPagesAhead ??
      Math.min(
        LIST_AHEAD_MAX,
        Math.max(2, Math.ceil((options.config.maxRequestsPer5s / 5000) * LIST_AHEAD_LATENCY_MS)),
      );
    this.limiter =
      options.limiter ??
      new RateLimiter({
        maxRequests: options.config.maxRequestsPer5s,
        now: this.now,
        sleep: this.sleep,
      });
  }

  stats(): PlivoClientStats {
    return { ...this.counters };
  }

  /**
   * Every call of the range, page by page (see docs/plivo-client.md). The first page tells
   * total_count; while every page has been full, the pages below it are asked for ahead,
   * several at once through the same rate limiter, and still processed one by one in offset
   * order with every guard of sequential paging. Without total_count paging is sequential.
   */
  async listCalls(range: ReadRange): Promise<ListCallsResult> {
    const filters: ListCallFilters = this.config.callFilters ?? {};
    // Validates the window and the filters before any request is made.
    const bounds = checkRange(range);
    buildListQuery(range, filters, { offset: 0 });
    const calls = new Map<string, Call>();
    const skipped: SkippedRecord[] = [];
    let duplicates = 0;
    let pages = 0;
    /**
     * The highest total_count of the pages: set beside what the listing found, it shows a count
     * that lies. (Not the first page's: CDRs Plivo writes while the pages are read raise the
     * count of the later ones, and the listing holds them.)
     */
    let reportedTotal: number | null = null;
    let offset = 0;
    let pagesWithoutProgress = 0;
    let pagesWithProgress = 0;
    let pagesDiscarded = 0;
    /** Every page so far held PAGE_LIMIT records: the offsets of the next pages are known. */
    let fullPages = true;
    const skippedUuids = new Set<string>();
    const fromMs = bounds.from.getTime();
    const toMs = bounds.to.getTime();
    const windowText = `[${bounds.from.toISOString()}, ${bounds.to.toISOString()})`;

    if (bounds.from.getTime() === bounds.to.getTime()) return { calls: [], skipped, pages };

    const fetchPage = (pageOffset: number, signal?: AbortSignal) =>
      this.request<ListEnvelope>({
        path: 'Zentrunk/Call/',
        query: buildListQuery(range, filters, { offset: pageOffset, limit: PAGE_LIMIT }),
        notFoundAsNull: false,
        signal,
        parse: (body) => {
          const envelope = parseListEnvelope(body);
          if (!envelope.ok) return envelope;
          // A server that ignores offset would hand back page one forever.
          if (envelope.offset !== null && envelope.offset !== pageOffset) {
            return {
              ok: false,
              reason: `asked for offset ${pageOffset}, Plivo answered offset ${envelope.offset}`,
            };
          }
          return { ok: true, value: envelope };
        },
      }) as Promise<ListEnvelope>;

    /** Pages asked for ahead, by offset; each settles without throwing (its error is kept for its turn). */
    const ahead = new Map<
      number,
      { controller: AbortController; settled: Promise<{ page: ListEnvelope } | { error: unknown }> }
    >();
    const askAhead = (pageOffset: number) => {
      const controller = new AbortController();
      const settled = fetchPage(pageOffset, controller.signal).then(
        (page) => ({ page }),
        (error: unknown) => ({ error }),
      );
      ahead.set(pageOffset, { controller, settled });
    };
    /** Pages asked for ahead that will not be used: abandoned, and an attempt in flight waited for. */
    const discardAhead = async () => {
      const entries = [...ahead.values()];
      ahead.clear();
      pagesDiscarded += entries.length;
      for (const entry of entries) entry.controller.abort();
      await Promise.all(entries.map((entry) => entry.settled));
    };

    try {
      for (;;) {
        if (pages >= this.maxPages) {
          throw this.sealed(
            new PlivoUnavailableError({
              ...this.details(200, 'Zentrunk/Call/', {}, null, null),
              attempts: 1,
              reason: `stopped paging after ${pages} pages (offset ${offset}): Plivo kept reporting more calls`,
            }),
          );
        }
        const early = ahead.get(offset);
        let page: ListEnvelope;
        if (early) {
          ahead.delete(offset);
          const outcome = await early.settled;
          if ('error' in outcome) throw outcome.error;
          page = outcome.page;
        } else {
          page = await fetchPage(offset);
        }
        pages += 1;
        if (page.totalCount !== null && (reportedTotal === null || page.totalCount > reportedTotal)) {
          reportedTotal = page.totalCount;
        }

        // Records not met on an earlier page: what tells paging that it is getting somewhere.
        let fresh = 0;
        for (const raw of page.objects) {
          const result = normalizeCall(raw);
          const uuid = result.ok ? result.call.callUuid : result.callUuid;
          // Offset paging over a list that grows (late CDRs) can repeat a record on the next
          // page; a repeat is dropped, whether it was taken or skipped the first time.
          if (uuid !== null && (calls.has(uuid) || skippedUuids.has(uuid))) {
            duplicates += 1;
            continue;
          }
          fresh += 1;
          let reason: string;
          if (result.ok) {
            // Asked for end_time in [from, to): a record outside was not asked for (a server-side
            // filter ignored or shifted). It belongs to another window, which lists it again.
            const endMs = Date.parse(result.call.endTime as string);
            if (endMs >= fromMs && endMs < toMs) {
              calls.set(result.call.callUuid, result.call);
              continue;
            }
            reason = `end_time ${result.call.endTime} is outside the requested window ${windowText}`;
          } else {
            reason = result.reason;
          }
          if (uuid !== null) skippedUuids.add(uuid);
          const record = this.skippedRecord(reason, uuid);
          skipped.push(record);
          // The poll run logs each skipped record at warn with its run id; here only for tracing.
          this.logger.debug('Plivo call record skipped', { ...record });
        }

        const count = page.objects.length;
        if (count === 0) {
          if (page.hasNext === true || (page.totalCount !== null && offset < page.totalCount)) {
            this.logger.warn('Plivo reported more calls but returned an empty page; paging stops', {
              offset,
              totalCount: page.totalCount,
              next: page.hasNext,
              pages,
            });
          }
          break;
        }
        offset += count;
        // A server that ignores offset and does not say which it served (no meta.offset), or a
        // list reshuffled under us, hands back calls already listed: fail visibly, not loop.
        pagesWithoutProgress = fresh === 0 ? pagesWithoutProgress + 1 : 0;
        if (fresh > 0) pagesWithProgress += 1;
        if (pagesWithoutProgress >= NO_PROGRESS_PAGES) {
          throw this.sealed(
            new PlivoUnavailableError({
              ...this.details(200, 'Zentrunk/Call/', {}, null, null),
              attempts: 1,
              reason: `stopped paging: ${pagesWithoutProgress} pages in a row (up to offset ${offset}) held no call not already listed`,
            }),
          );
        }
        // More pages while either signal says so: meta.next (a URL or true; null/false in the
        // current and legacy docs alike at the end) or total_count, which can be wrong in either
        // direction. With neither, a full page is followed once more: the next is empty if
        // Plivo ran out. The hard stops are maxPages and the no-progress guard above.
        const more =
          page.hasNext === true ||
          (page.totalCount !== null
            ? offset < page.totalCount
            : page.hasNext === null && count >= (page.limit ?? PAGE_LIMIT));
        if (!more) break;

        // Pages ahead: only at the offsets sequential paging would ask next (every page so far
        // full: the next ones start every PAGE_LIMIT records), only below total_count, never
        // past maxPages. A short page ends it: the offsets ahead are no longer known, and the
        // pages asked for are dropped. How many: at first no more than the no-progress guard
        // may still need (3), so a server that ignores offset costs not one request more than
        // sequential paging; then one more for each page that brought new calls (the window
        // doubles per round trip, as TCP's slow start), up to listAhead.
        if (count !== PAGE_LIMIT) fullPages = false;
        if (!fullPages) {
          if (ahead.size > 0) await discardAhead();
          continue;
        }
        if (page.totalCount === null) continue;
        const room = Math.min(
          this.listAhead,
          NO_PROGRESS_PAGES - pagesWithoutProgress + Math.max(0, pagesWithProgress - 1),
        );
        for (let k = 0; ahead.size < room; k += 1) {
          const nextOffset = offset + k * PAGE_LIMIT;
          if (nextOffset >= page.totalCount || pages + k >= this.maxPages) break;
          if (!ahead.has(nextOffset)) askAhead(nextOffset);
        }
      }
    } finally {
      // Asked for but past where paging stopped (total_count too high, an empty or failed page).
      if (ahead.size > 0) await discardAhead();
    }

    this.logger.debug('Listed Zentrunk calls', {
      pages,
      calls: calls.size,
      skipped: skipped.length,
      duplicates,
      pagesDiscarded,
    });
    return { calls: [...calls.values()], skipped, pages, reportedTotal };
  }

  /** Plivo's total_count for the range (one request for a single record), or null when absent. */
  async countCalls(range: ReadRange): Promise<number | null> {
    const bounds = checkRange(range);
    if (bounds.from.getTime() === bounds.to.getTime()) return 0;
    const page = (await this.request<ListEnvelope>({
      path: 'Zentrunk/Call/',
      query: buildListQuery(range, this.config.callFilters ?? {}, { offset: 0, limit: 1 }),
      notFoundAsNull: false,
      parse: (body) => {
        const envelope = parseListEnvelope(body);
        return envelope.ok ? { ok: true, value: envelope } : envelope;
      },
    })) as ListEnvelope;
    return page.totalCount;
  }

  /** One call's CDR; null when Plivo has no such call (404). */
  async getCall(callUuid: string): Promise<Call | null> {
    const path = `Zentrunk/Call/${this.checkUuid(callUuid)}/`;
    return this.request<Call>({
      path,
      query: {},
      notFoundAsNull: true,
      parse: (body) => {
        const result = normalizeCall(body);
        return result.ok ? { ok: true, value: result.call } : { ok: false, reason: result.reason };
      },
    });
  }

  /** A call's quality insights; null while Plivo answers 404 (not ready yet). */
  async getInsights(callUuid: string): Promise<CallInsights | null> {
    const path = `Zentrunk/Call/${this.checkUuid(callUuid)}/Insights/`;
    return this.request<CallInsights>({
      path,
      query: {},
      notFoundAsNull: true,
      refusalConcernsCall: callUuid,
      parse: (body) => {
        const result = normalizeInsights(body, callUuid);
        return result.ok ? { ok: true, value: result.insights } : result;
      },
    });
  }

  private checkUuid(callUuid: string): string {
    if (!isUsableCallUuid(callUuid)) {
      throw new TypeError(`Not a usable call_uuid: ${clip(this.upstream(String(callUuid)), 64)}`);
    }
    return callUuid;
  }

  /** A record skipped, as it may be logged: reason and id scrubbed and capped (both come from the payload). */
  private skippedRecord(reason: string, callUuid: string | null): SkippedRecord {
    const uuid = callUuid === null ? null : this.upstream(callUuid);
    return {
      reason: clip(this.upstream(reason), REASON_MAX),
      // An id that had to be scrubbed is no id.
      callUuid: uuid === callUuid ? uuid : null,
    };
  }

  private async request<T>(spec: RequestSpec<T>): Promise<T | null> {
    const maxAttempts = Math.max(1, this.config.maxAttempts);
    const search = new URLSearchParams(spec.query).toString();
    const url = `${this.accountUrl}${spec.path}${search ? `?${search}` : ''}`;
    let last: Failure | null = null;
    let attempts = 0;

    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      spec.signal?.throwIfAborted();
      if (attempt > 1 && last) {
        const delayMs = this.backoffMs(attempt - 1, last.retryAfterMs);
        this.counters.retries += 1;
        this.logger.warn('Plivo request failed; retrying', {
          request: this.describeRequest(spec.path, spec.query),
          status: last.status,
          reason: last.reason,
          attempt,
          maxAttempts,
          delayMs,
          requestId: last.requestId,
        });
        await raceAbort(this.sleep(delayMs), spec.signal);
      }

      const answered = await this.limiter.acquire(spec.signal);
      attempts = attempt;
      this.counters.requests += 1;
      let outcome: Outcome<T>;
      try {
        outcome = await this.attempt(url, spec);
      } finally {
        // The request reached Plivo by now: the limiter may count it from here on (a slow answer).
        answered();
      }
      if (outcome.done) return outcome.value;
      last = outcome.failure;
      if (!last.retryable) break;
    }

    const failure = last as Failure;
    throw this.sealed(
      new PlivoUnavailableError({
        ...this.details(failure.status, spec.path, spec.query, failure.plivoMessage, failure.requestId),
        attempts,
        reason: failure.reason,
      }),
    );
  }

  /** One HTTP exchange. Returns the value, a failure to maybe retry, or throws a fatal error. */
  private async attempt<T>(url: string, spec: RequestSpec<T>): Promise<Outcome<T>> {
    const fail = (reason: string, extra: Partial<Failure> = {}): { done: false; failure: Failure } => ({
      done: false,
      failure: {
        retryable: true,
        status: null,
        plivoMessage: null,
        requestId: null,
        retryAfterMs: null,
        ...extra,
        reason: clip(this.upstream(reason), REASON_MAX),
      },
    });

    let response: Response;
    let text: string;
    let overLimit: boolean;
    try {
      response = await this.fetchImpl(url, {
        method: 'GET',
        headers: {
          Authorization: this.#authorization,
          Accept: 'application/json',
          'User-Agent': 'zentrunk-alerts',
        },
        // A redirect would leave api.plivo.com with our credentials in hand; refuse it.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.requestTimeoutMs),
      });
      // The body is read under the same timeout: a stalled or cut-off body is retried too.
      const ok = response.status >= 200 && response.status < 300;
      ({ text, overLimit } = await readBody(response, ok ? this.maxBodyBytes : ERROR_BODY_BYTES, ok));
    } catch (error) {
      const err = error as Error;
      if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
        this.counters.timeouts += 1;
        return fail(`timed out after ${this.config.requestTimeoutMs} ms`);
      }
      this.counters.networkErrors += 1;
      const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
      const detail = cause?.code ?? cause?.message ?? err?.message ?? String(error);
      return fail(`network error: ${String(detail)}`);
    }

    const status = response.status;
    const requestId = this.headerValue(response, 'x-request-id', REQUEST_ID_MAX);
    const retryAfter = () => {
      const value = response.headers.get('retry-after');
      return parseRetryAfter(value !== null && value.length <= RETRY_AFTER_MAX ? value : null, this.now());
    };

    if (status >= 200 && status < 300) {
      if (overLimit) {
        this.counters.invalidBodies += 1;
        return fail(`response body larger than ${this.maxBodyBytes} bytes`, { status, requestId });
      }
      let body: unknown;
      try {
        // Every string of the body loses whole secrets before anything reads it: payload
        // strings travel on into skip reasons, logs and alerts.
        body = JSON.parse(text, (_key, value: unknown) =>
          typeof value === 'string' ? this.#scrubber.exact(value) : value,
        );
      } catch {
        this.counters.invalidBodies += 1;
        return fail(`response body is not JSON (${text.length} characters)`, { status, requestId });
      }
      const parsed = spec.parse(body);
      if (!parsed.ok) {
        this.counters.invalidBodies += 1;
        return fail(`unexpected response body: ${parsed.reason}`, { status, requestId });
      }
      return { done: true, value: parsed.value };
    }

    if (status === 404 && spec.notFoundAsNull) return { done: true, value: null };

    const plivoMessage = this.plivoMessage(text);
    const details = this.details(status, spec.path, spec.query, plivoMessage, requestId);
    if (status === 401) throw this.sealed(new PlivoAuthError(details));
    const refusedCall = spec.refusalConcernsCall;
    if (refusedCall !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      // One call's Insights refused (400, 403, 410 …): that call's problem, never the run's.
      throw this.sealed(new PlivoCallRefusedError({ ...details, status, callUuid: refusedCall }));
    }
    if (status === 403) throw this.sealed(new PlivoAuthError(details));
    if (status === 400) throw this.sealed(new PlivoRequestError(details));
    if (status === 429) {
      this.counters.throttled += 1;
      const retryAfterMs = retryAfter();
      // Every request of this account waits, not only this one, and the limiter slows down:
      // someone else is using the account's budget.
      this.limiter.throttled(retryAfterMs);
      return fail('throttled (HTTP 429)', { status, plivoMessage, requestId, retryAfterMs });
    }
    if (status === 408) {
      this.counters.timeouts += 1;
      return fail('HTTP 408 request timeout', { status, plivoMessage, requestId });
    }
    if (status >= 500) {
      this.counters.serverErrors += 1;
      return fail(`server error (HTTP ${status})`, {
        status,
        plivoMessage,
        requestId,
        retryAfterMs: retryAfter(),
      });
    }
    throw this.sealed(new PlivoRequestError(details));
  }

  private backoffMs(retry: number, retryAfterMs: number | null): number {
    if (retryAfterMs !== null) {
      // Never earlier than asked, plus up to 20 % jitter: concurrent requests told to wait the
      // same time would otherwise come back in lockstep and be throttled together again.
      const base = Math.min(Math.max(0, Math.round(retryAfterMs)), MAX_RETRY_AFTER_MS);
      return base + Math.floor(this.random() * base * 0.2);
    }
    return backoffMs(retry, {
      baseMs: BACKOFF_BASE_MS,
      capMs: BACKOFF_CAP_MS,
      random: this.random,
      jitter: 'full',
    });
  }

  /**
   * Plivo's `error` text from an error body, else an excerpt of whatever came back (a proxy's
   * HTML page): scrubbed whole, then cut, so that no piece of a secret survives the cut.
   */
  private plivoMessage(text: string): string | null {
    let message: string | null = null;
    try {
      const body: unknown = JSON.parse(text);
      if (typeof body === 'object' && body !== null) {
        const value =
          (body as Record<string, unknown>)['error'] ?? (body as Record<string, unknown>)['message'];
        if (value !== undefined && value !== null) {
          message = typeof value === 'string' ? value : JSON.stringify(value);
        }
      }
    } catch {
      // Not JSON (a proxy's HTML page): fall back to the text itself.
    }
    message = this.upstream(message ?? text.replace(/<[^>]*>/g, ' '));
    message = clip(message.replace(/\s+/g, ' ').trim(), MESSAGE_EXCERPT);
    return message === '' ? null : message;
  }

  /** A response header as it may be repeated: scrubbed, one line, capped; null when absent. */
  private headerValue(response: Response, name: string, max: number): string | null {
    const value = response.headers.get(name);
    if (value === null) return null;
    const text = clip(oneLine(this.upstream(value)).trim(), max);
    return text === '' ? null : text;
  }

  private details(
    status: number | null,
    path: string,
    query: Record<string, string>,
    plivoMessage: string | null,
    requestId: string | null,
  ): PlivoFailureDetails {
    return { status, plivoMessage, request: this.describeRequest(path, query), requestId };
  }

  /** The request as it may be logged: the Auth ID is replaced, the query holds no secrets. */
  private describeRequest(path: string, query: Record<string, string>): string {
    const search = new URLSearchParams(query).toString();
    return `GET /v1/Account/{auth_id}/${path}${search ? `?${search}` : ''}`;
  }

  /** Upstream text with every whole secret and every piece of one replaced, the Auth ID too. */
  private upstream(text: string): string {
    return this.#scrubber.full(text);
  }

  /** Belt and braces: an error this client throws never carries a secret, whatever went into it. */
  private sealed<E extends Error>(error: E): E {
    error.message = this.#scrubber.full(error.message);
    if (error.stack) error.stack = this.#scrubber.full(error.stack);
    return error;
  }
}
