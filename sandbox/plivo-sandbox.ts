/**
 * A local stand-in for Plivo's Zentrunk Calls API (list calls, get call, get call insights),
 * written from the documentation only (shared reference plivo-zentrunk-api.md). It binds
 * 127.0.0.1, speaks real HTTP, and can inject faults, so the real Plivo client can be tried
 * on a laptop and tested against retries, timeouts and broken payloads.
 *
 * Where the docs say nothing (error texts, sort order, meta.next as a relative path) the choices
 * are written down in sandbox/README.md; the sandbox is deliberately stricter than Plivo may be
 * (unknown query parameters answer 400) so that a client bug shows here, not in production.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mulberry32, type SandboxCall } from './traffic';

/**
 * Fault switches, all off by default, mutable while the sandbox runs. Every "…Every" switch
 * counts API requests (paths under /v1/) from 1 since start or the last resetRequests():
 * request n is hit when n % every === 0 (0 = off). Deterministic: no randomness.
 * When several hit the same request, the first in this order wins: timeout, 429, 5xx, non-JSON;
 * then credential revocation; oversizing, truncation and schema drift apply to whatever is
 * answered, and the list switches (end_time slack, total_count) to every list answer.
 */
export interface SandboxFaults {
  /** Answer 429 to every Nth request (on top of the real 300/5 s rate limit). */
  status429Every: number;
  /** Answer 500 (JSON error body) to every Nth request. */
  status5xxEvery: number;
  /** Retry-After seconds on injected 429s (none when null) and on rate-limit 429s (computed when null). */
  retryAfterSeconds: number | null;
  /** Delay every API response by this many ms. */
  delayMs: number;
  /** Never answer every Nth request (the socket is destroyed when the sandbox closes). */
  timeoutEvery: number;
  /** Every Nth response: status and headers as normal, but only the first half of the JSON body. */
  truncatedBodyEvery: number;
  /** Every Nth request: 502 with an HTML error page, as a proxy or load balancer sends. */
  nonJsonEvery: number;
  /** Numeric fields arrive as objects: `bill_duration`/`call_duration`/`duration` in CDRs, `rtt` and `plivo_quality_score` in insights. */
  schemaDrift: boolean;
  /** Every Insights request answers 404 (not ready). */
  insightsNeverReady: boolean;
  /** Requests numbered above N answer 401: the credentials were revoked mid-run. null = off. */
  rejectCredentialsAfter: number | null;
  /**
   * Call UUID → HTTP status (e.g. 400, 403, 410): that call's Insights requests answer this
   * status with a Plivo error body, every time (after authentication and the rate limit).
   */
  insightsStatusByCall: Record<string, number>;
  /**
   * The list's end_time bounds are widened by this many seconds on both sides (a server that
   * shifts or rounds them): calls that ended just outside the asked window are listed too. 0 = off.
   */
  endTimeFilterSlackSeconds: number;
  /** Every Nth response, if a 2xx JSON object: padded to OVERSIZED_BODY_BYTES with a `padding` field (still valid JSON). */
  oversizedBodyEvery: number;
  /** The list's meta.total_count is this many lower than the truth (never below 0); meta.next stays right. 0 = off. */
  totalCountShortBy: number;
}

/** Size of the bodies oversizedBodyEvery sends: above the client's 4 MiB cap. */
export const OVERSIZED_BODY_BYTES = 5 * 1024 * 1024;

export function noFaults(): SandboxFaults {
  return {
    status429Every: 0,
    status5xxEvery: 0,
    retryAfterSeconds: null,
    delayMs: 0,
    timeoutEvery: 0,
    truncatedBodyEvery: 0,
    nonJsonEvery: 0,
    schemaDrift: false,
    insightsNeverReady: false,
    rejectCredentialsAfter: null,
    insightsStatusByCall: {},
    endTimeFilterSlackSeconds: 0,
    oversizedBodyEvery: 0,
    totalCountShortBy: 0,
  };
}

/** How meta.next/previous are rendered: a relative URL or null (current docs), true/false (legacy docs), always null. */
export type MetaNextStyle = 'url' | 'boolean' | 'null';

export type FaultKind =
  'timeout' | '429' | '5xx' | 'non-json' | 'revoked' | 'truncated' | 'oversized' | 'insights-status';

export interface SandboxRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** null while unanswered (and forever for a hung "timeout" request). */
  status: number | null;
  /** The injected fault, if any (rate limiting is behaviour, not a fault: status 429, fault null). */
  fault: FaultKind | null;
  /** With the `latency` option: the round trip drawn for this request. */
  latencyMs?: number;
}

/** Counters since start or the last resetRequests(). */
export interface SandboxStats {
  /** API requests (paths under /v1/) received. */
  received: number;
  /** API requests answered 2xx. */
  served: number;
  /** 429s of the rate limit (not the status429Every fault). */
  rateLimited: number;
  /** Every 429, the injected ones included. */
  throttled: number;
  /** The most requests the rate limit counted in its window at any moment (at most its limit). */
  peakInWindow: number;
}

/**
 * Simulated network latency for API requests: a round trip drawn uniformly from
 * [minMs, maxMs] per request, from a seeded generator (the same seed gives the same sequence
 * of draws, in the order requests arrive). Half of it passes before the request is handled and
 * counted by the rate limit, half before the answer leaves: Plivo counts a request when it
 * ARRIVES, about half a round trip after the client sent it, and the client sees the whole
 * round trip. Counting on arrival is what puts the jitter of the way in between the client's
 * count (on departure) and the server's, which is what a client-side limiter must allow for;
 * latency applied only after counting would hide that.
 */
export interface SandboxLatency {
  minMs: number;
  maxMs: number;
  /** Default 1. */
  seed?: number;
}

export interface PlivoSandboxOptions {
  authId: string;
  authToken: string;
  calls?: readonly SandboxCall[];
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Injectable clock for CDR/insights readiness, the 30/90-day windows and the rate limit. */
  now?: () => Date;
  faults?: Partial<SandboxFaults>;
  metaNext?: MetaNextStyle;
  /** Plivo: 300 requests per 5 s per account. */
  rateLimit?: { requests: number; windowMs: number };
  /** Off by default: answers as fast as the loopback allows. */
  latency?: SandboxLatency;
}

export interface PlivoSandbox {
  /** e.g. http://127.0.0.1:40123 — use as the Plivo API base URL. */
  baseUrl: string;
  faults: SandboxFaults;
  settings: { metaNext: MetaNextStyle };
  /**
   * The same API answered in-process, without a socket (for the client's `fetch` option): URLs
   * under `baseUrl`, the same handler, faults, rate limit and latency. For simulations that make
   * more requests than a loopback round trip each allows (bench section 7).
   */
  fetch: typeof fetch;
  /** Every request received, in order. */
  readonly requests: SandboxRequest[];
  /** Counters since start or the last resetRequests(). */
  stats(): SandboxStats;
  /** Add (or replace, by call UUID) calls. A call's end time must not change once added: add it again. */
  addCalls(calls: readonly SandboxCall[]): void;
  /** Clears the request log and the stats, and restarts the fault counters and the rate-limit window. */
  resetRequests(): void;
  /** From now on accept only these credentials (a rotated token, another Auth ID). */
  setCredentials(authId: string, authToken: string): void;
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_RANGE_MS = 90 * DAY_MS;
const DEFAULT_WINDOW_MS = 30 * DAY_MS;
const MAX_LIMIT = 20;

// ---------------------------------------------------------------------------------------------
// Rendering

function plivoTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

const decimal5 = (n: number) => n.toFixed(5);
const bareDigits = (e164: string) => Number(e164.replace(/^\+/, ''));

function drift<T>(value: T, unit: string, on: boolean): T | { value: T; unit: string } {
  return on ? { value, unit } : value;
}

/** One CDR in the call's payload variant. */
export function renderCdr(
  call: SandboxCall,
  options: { schemaDrift?: boolean } = {},
): Record<string, unknown> {
  const d = options.schemaDrift ?? false;
  const answer = call.answerTime ? plivoTime(call.answerTime) : null;
  const end = call.malformed === 'bad-end-time' ? '0000-00-00 00:00:00' : plivoTime(call.endTime);
  let body: Record<string, unknown>;
  if (call.variant === 'legacy') {
    body = {
      call_uuid: call.callUuid,
      bill_duration: drift(call.billDurationSec, 'seconds', d),
      trunk_id: call.trunkId,
      end_time: end,
      from_number: bareDigits(call.fromNumber),
      to_number: bareDigits(call.toNumber),
      call_direction: call.direction,
      duration: drift(String(call.durationSec), 'seconds', d),
      hangup_cause: call.hangupCauseName,
      hangup_initiator: call.hangupSource,
      rate: call.ratePerMinute,
      total_amount: call.totalAmount,
      initiation_time: plivoTime(call.initiationTime),
      answer_time: answer,
      trunk_domain: call.trunkDomain,
      region: call.region,
      from_country: call.fromCountry,
      to_country: call.toCountry,
      transport_protocol: call.transportProtocol,
      srtp: call.srtp,
      hangup_code: call.hangupCauseCode,
      secure_trunking: call.secureTrunking,
      secure_trunking_rate: call.secureTrunking ? 0.001 : 0,
      stir_verification: call.stirVerification,
    };
  } else {
    const production = call.variant === 'current-production';
    body = {
      call_uuid: call.callUuid,
      from_number: call.fromNumber,
      to_number: call.toNumber,
      call_direction: call.direction,
      call_duration: drift(call.durationSec, 'seconds', d),
      bill_duration: drift(call.billDurationSec, 'seconds', d),
      billed_duration: production ? call.billedDurationSec : call.billDurationSec,
      end_time: end,
      hangup_cause_name: call.hangupCauseName,
      hangup_source: call.hangupSource,
      total_rate: decimal5(call.ratePerMinute),
      total_amount: decimal5(call.totalAmount),
      initiation_time: plivoTime(call.initiationTime),
      answer_time: answer,
      trunk_domain: call.trunkDomain,
      from_country: call.fromCountry,
      to_country: call.toCountry,
      transport_protocol: call.transportProtocol,
      srtp: call.srtp,
      hangup_cause_code: call.hangupCauseCode,
      secure_trunking: call.secureTrunking,
      secure_trunking_rate: decimal5(call.secureTrunking ? 0.001 : 0),
      stir_verification: production ? call.stirVerification.toLowerCase() : call.stirVerification,
      attestation_indicator: call.attestation ?? 'null',
    };
    if (production) {
      Object.assign(body, {
        trunk_id: call.trunkId,
        call_id: call.sipCallId,
        cnam_lookup: false,
        cnam_lookup_rate: '0.00000',
      });
    }
  }
  if (call.malformed === 'missing-call-uuid') delete body.call_uuid;
  return body;
}

/** The insights JSON (metrics as strings, post_dial_delay as a number, as documented). */
export function renderInsights(
  call: SandboxCall,
  apiId: string,
  options: { schemaDrift?: boolean } = {},
): Record<string, unknown> {
  const d = options.schemaDrift ?? false;
  // No media, no metrics: the production variant says so with the string "null", as it does for attestation.
  const missing = call.variant === 'current-production' ? 'null' : null;
  const metric = (value: number | null) => (value === null ? missing : String(value));
  return {
    api_id: apiId,
    call_uuid: call.callUuid,
    from: { carrier: call.fromCarrier, number: call.fromNumber, region: call.fromCountry },
    to: { carrier: call.toCarrier, number: call.toNumber, region: call.toCountry },
    hangup_cause: call.hangupCauseName,
    hangup_source: call.hangupSource,
    rtt: drift(metric(call.rttMs), 'ms', d),
    jitter: metric(call.jitterMs),
    packet_loss: metric(call.packetLossPct),
    post_dial_delay: call.postDialDelayMs,
    plivo_quality_score: drift(
      call.qualityScore === null ? missing : call.qualityScore.toFixed(1),
      'score',
      d,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// List filters

type Op = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';
const OPS: readonly Op[] = ['eq', 'gt', 'gte', 'lt', 'lte'];

interface TimeBound {
  op: Op;
  ms: number;
  /** Granularity of the value given: an exact `end_time=… 11:47` matches the whole minute. */
  precisionMs: number;
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;

function parsePlivoTime(text: string): { ms: number; precisionMs: number } | null {
  const m = TIME_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  const check = new Date(ms);
  // Reject 2024-02-30 or 25:00 instead of letting Date roll them over.
  if (
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    (s !== undefined && check.getUTCSeconds() !== Number(s))
  ) {
    return null;
  }
  const fracMs = frac === undefined ? 0 : Number(frac.padEnd(6, '0')) / 1000;
  const precisionMs =
    s === undefined ? 60_000 : frac === undefined ? 1000 : Math.max(1, 10 ** (3 - frac.length));
  return { ms: ms + fracMs, precisionMs };
}

function matchesTime(value: number, b: TimeBound): boolean {
  switch (b.op) {
    case 'eq':
      return value >= b.ms && value < b.ms + b.precisionMs;
    case 'gt':
      return value > b.ms;
    case 'gte':
      return value >= b.ms;
    case 'lt':
      return value < b.ms;
    case 'lte':
      return value <= b.ms;
  }
}

function matchesNumber(value: number, op: Op, bound: number): boolean {
  switch (op) {
    case 'eq':
      return value === bound;
    case 'gt':
      return value > bound;
    case 'gte':
      return value >= bound;
    case 'lt':
      return value < bound;
    case 'lte':
      return value <= bound;
  }
}

function suffixed(name: string): string[] {
  return OPS.map((op) => (op === 'eq' ? name : `${name}__${op}`));
}

function opOf(key: string): Op {
  const i = key.indexOf('__');
  return i < 0 ? 'eq' : (key.slice(i + 2) as Op);
}

const ALLOWED_PARAMS = new Set([
  'from_number',
  'to_number',
  'call_direction',
  'hangup_cause_code',
  'hangup_source',
  'stir_verification',
  'trunk_id',
  'limit',
  'offset',
  ...suffixed('bill_duration'),
  ...suffixed('end_time'),
  // The legacy docs list initiation_time as a filter; accepted with the same suffixes.
  ...suffixed('initiation_time'),
]);

class BadRequest extends Error {}

interface ListQuery {
  limit: number;
  offset: number;
  predicates: Array<(c: SandboxCall) => boolean>;
  /**
   * End times (ms, inclusive) outside which no call can match: only narrows the calls the
   * predicates are tried on (they alone decide), so a long history is not scanned on every page.
   */
  endSpan: { fromMs: number; toMs: number };
}

function parseListQuery(params: URLSearchParams, now: Date, endTimeSlackMs = 0): ListQuery {
  const seen = new Set<string>();
  for (const [key, value] of params) {
    if (!ALLOWED_PARAMS.has(key)) throw new BadRequest(`unknown parameter: ${key}`);
    if (seen.has(key)) throw new BadRequest(`parameter ${key} given more than once`);
    seen.add(key);
    if (value === '') throw new BadRequest(`${key} cannot be empty`);
  }
  const get = (key: string) => params.get(key) ?? undefined;
  const predicates: Array<(c: SandboxCall) => boolean> = [];

  const integer = (key: string, value: string) => {
    if (!/^\d+$/.test(value)) throw new BadRequest(`${key} must be a non-negative integer, got '${value}'`);
    return Number(value);
  };

  const limitText = get('limit');
  const limit = limitText === undefined ? MAX_LIMIT : integer('limit', limitText);
  if (limit < 1 || limit > MAX_LIMIT)
    throw new BadRequest(`limit must be between 1 and ${MAX_LIMIT}, got ${limit}`);
  const offsetText = get('offset');
  const offset = offsetText === undefined ? 0 : integer('offset', offsetText);

  for (const key of ['from_number', 'to_number'] as const) {
    const value = get(key);
    if (value === undefined) continue;
    // An unencoded '+' arrives as a space: the reason Plivo's CLI strips it.
    if (!/^\+?\d{1,15}$/.test(value)) {
      throw new BadRequest(
        `${key} must be a number or number prefix (digits, optionally after an encoded +), got '${value}'`,
      );
    }
    const prefix = value.replace(/^\+/, '');
    const field = key === 'from_number' ? 'fromNumber' : 'toNumber';
    predicates.push((c) => c[field].replace(/^\+/, '').startsWith(prefix));
  }

  const direction = get('call_direction');
  if (direction !== undefined) {
    if (direction !== 'inbound' && direction !== 'outbound') {
      throw new BadRequest(`call_direction must be one of inbound, outbound, got '${direction}'`);
    }
    predicates.push((c) => c.direction === direction);
  }

  const source = get('hangup_source');
  if (source !== undefined) {
    if (!['customer', 'carrier', 'zentrunk'].includes(source)) {
      throw new BadRequest(`hangup_source must be one of customer, carrier, zentrunk, got '${source}'`);
    }
    predicates.push((c) => c.hangupSource === source);
  }

  const codeText = get('hangup_cause_code');
  if (codeText !== undefined) {
    const code = integer('hangup_cause_code', codeText);
    predicates.push((c) => c.hangupCauseCode === code);
  }

  const stir = get('stir_verification');
  if (stir !== undefined) {
    if (!['Verified', 'Not Verified', 'Not Applicable'].includes(stir)) {
      throw new BadRequest(
        `stir_verification must be one of Verified, Not Verified, Not Applicable, got '${stir}'`,
      );
    }
    predicates.push((c) => c.stirVerification === stir);
  }

  const trunkId = get('trunk_id');
  if (trunkId !== undefined) predicates.push((c) => c.trunkId === trunkId);

  for (const key of suffixed('bill_duration')) {
    const value = get(key);
    if (value === undefined) continue;
    const bound = integer(key, value);
    const op = opOf(key);
    predicates.push((c) => matchesNumber(c.billDurationSec, op, bound));
  }

  const timeBounds = (name: string): TimeBound[] =>
    suffixed(name).flatMap((key) => {
      const value = get(key);
      if (value === undefined) return [];
      const parsed = parsePlivoTime(value);
      if (!parsed)
        throw new BadRequest(`${key} must be a UTC time as YYYY-MM-DD HH:MM[:ss[.uuuuuu]], got '${value}'`);
      return [{ op: opOf(key), ...parsed }];
    });

  const endBounds = timeBounds('end_time');
  let endSpan = { fromMs: Number.NEGATIVE_INFINITY, toMs: Number.POSITIVE_INFINITY };
  if (endBounds.length === 0) {
    // Without an end_time filter Plivo searches the last 30 days.
    const since = now.getTime() - DEFAULT_WINDOW_MS;
    predicates.push((c) => c.endTime.getTime() >= since);
    endSpan = { fromMs: since, toMs: Number.POSITIVE_INFINITY };
  } else {
    const lowers = endBounds.filter((b) => b.op === 'gt' || b.op === 'gte' || b.op === 'eq').map((b) => b.ms);
    const uppers = endBounds
      .filter((b) => b.op === 'lt' || b.op === 'lte' || b.op === 'eq')
      .map((b) => b.ms + (b.op === 'eq' ? b.precisionMs : 0));
    if (lowers.length === 0) {
      throw new BadRequest(
        'end_time__lt/end_time__lte need a lower bound: add end_time__gt or end_time__gte',
      );
    }
    const lower = Math.max(...lowers);
    const upper = uppers.length > 0 ? Math.min(...uppers) : now.getTime();
    if (upper - lower > MAX_RANGE_MS) {
      throw new BadRequest('the end_time range cannot exceed 90 days');
    }
    endSpan = {
      fromMs: lower - endTimeSlackMs,
      toMs: uppers.length > 0 ? upper + endTimeSlackMs : Number.POSITIVE_INFINITY,
    };
    for (const b of endBounds) {
      // The endTimeFilterSlackSeconds fault: lower bounds earlier, upper bounds later.
      const widened =
        b.op === 'eq'
          ? { ...b, ms: b.ms - endTimeSlackMs, precisionMs: b.precisionMs + 2 * endTimeSlackMs }
          : { ...b, ms: b.op === 'gt' || b.op === 'gte' ? b.ms - endTimeSlackMs : b.ms + endTimeSlackMs };
      predicates.push((c) => matchesTime(c.endTime.getTime(), widened));
    }
  }
  for (const b of timeBounds('initiation_time')) {
    predicates.push((c) => matchesTime(c.initiationTime.getTime(), b));
  }

  return { limit, offset, predicates, endSpan };
}

// ---------------------------------------------------------------------------------------------
// Server

const PATH_RE = /^\/v1\/Account\/([^/]+)\/Zentrunk\/Call(?:\/([^/]+))?(?:\/(Insights))?\/?$/;

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } };
}

const error = (status: number, message: string, headers: Record<string, string> = {}) =>
  json(status, { api_id: randomUUID(), error: message }, headers);

/** Error texts of the insightsStatusByCall fault (Plivo documents none). */
const REFUSAL_TEXT: Record<number, string> = {
  400: 'invalid request: insights are not available for this call',
  403: 'forbidden: this account may not read the insights of this call',
  405: 'method not allowed',
  410: 'gone: the insights of this call are no longer available',
  422: 'unprocessable: the insights of this call could not be computed',
};

export async function startPlivoSandbox(options: PlivoSandboxOptions): Promise<PlivoSandbox> {
  const now = options.now ?? (() => new Date());
  const rateLimit = options.rateLimit ?? { requests: 300, windowMs: 5000 };
  const calls = new Map<string, SandboxCall>();
  const faults: SandboxFaults = { ...noFaults(), ...options.faults };
  const settings = { metaNext: options.metaNext ?? ('url' as MetaNextStyle) };
  const requests: SandboxRequest[] = [];
  const accepted = { authId: options.authId, authToken: options.authToken };
  let apiCount = 0;
  let served: number[] = [];
  const emptyStats = (): SandboxStats => ({
    received: 0,
    served: 0,
    rateLimited: 0,
    throttled: 0,
    peakInWindow: 0,
  });
  let stats = emptyStats();
  const latency = options.latency;
  if (latency && !(latency.minMs >= 0 && latency.maxMs >= latency.minMs)) {
    throw new RangeError(`latency must have 0 <= minMs <= maxMs, got ${latency.minMs}..${latency.maxMs}`);
  }
  const latencyRandom = mulberry32(latency?.seed ?? 1);
  let closed = false;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  /** Every call in list order (newest end_time first, ties by UUID); rebuilt after addCalls. */
  let ordered: SandboxCall[] | null = null;
  const addCalls = (list: readonly SandboxCall[]) => {
    for (const call of list) calls.set(call.callUuid, call);
    if (list.length > 0) ordered = null;
  };
  /** The calls in list order whose end time lies in [fromMs, toMs]: two binary searches. */
  const endingIn = (fromMs: number, toMs: number): SandboxCall[] => {
    ordered ??= [...calls.values()].sort(
      (a, b) => b.endTime.getTime() - a.endTime.getTime() || a.callUuid.localeCompare(b.callUuid),
    );
    const all = ordered;
    // First index whose end time is at or before `ms` (the list runs newest first).
    const firstAtOrBefore = (ms: number) => {
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((all[mid] as SandboxCall).endTime.getTime() > ms) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const start = toMs === Number.POSITIVE_INFINITY ? 0 : firstAtOrBefore(toMs);
    let end = all.length;
    if (fromMs !== Number.NEGATIVE_INFINITY) {
      end = start;
      while (end < all.length && (all[end] as SandboxCall).endTime.getTime() >= fromMs) end += 1;
    }
    return all.slice(start, end);
  };
  addCalls(options.calls ?? []);

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  /** A CDR exists once Plivo has written it and until it falls out of the 90-day retention. */
  const visible = (c: SandboxCall, at: Date) =>
    c.cdrReadyAt.getTime() <= at.getTime() && c.endTime.getTime() >= at.getTime() - MAX_RANGE_MS;

  function authenticate(req: IncomingMessage, pathAuthId: string): Reply | null {
    const header = req.headers.authorization ?? '';
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const id = colon < 0 ? '' : decoded.slice(0, colon);
    const token = colon < 0 ? '' : decoded.slice(colon + 1);
    const unauthorized = (message: string) =>
      error(401, message, { 'WWW-Authenticate': 'Basic realm="Plivo API"' });
    if (!m) return unauthorized('authentication required: use HTTP Basic with your Auth ID and Auth Token');
    if (id !== accepted.authId || token !== accepted.authToken)
      return unauthorized('invalid Auth ID or Auth Token');
    // The path names the account; credentials of one account never read another's.
    if (pathAuthId !== id) return unauthorized(`these credentials are not valid for account ${pathAuthId}`);
    return null;
  }

  function rateLimited(): Reply | null {
    const t = now().getTime();
    served = served.filter((s) => s > t - rateLimit.windowMs);
    const oldest = served[0];
    if (served.length >= rateLimit.requests && oldest !== undefined) {
      stats.rateLimited += 1;
      const retry =
        faults.retryAfterSeconds ?? Math.max(1, Math.ceil((oldest + rateLimit.windowMs - t) / 1000));
      return error(429, 'too many requests: the limit is 300 API requests per 5 seconds per account', {
        'Retry-After': String(retry),
      });
    }
    served.push(t);
    stats.peakInWindow = Math.max(stats.peakInWindow, served.length);
    return null;
  }

  function list(accountId: string, params: URLSearchParams): Reply {
    const at = now();
    let query: ListQuery;
    try {
      query = parseListQuery(params, at, faults.endTimeFilterSlackSeconds * 1000);
    } catch (e) {
      if (e instanceof BadRequest) return error(400, e.message);
      throw e;
    }
    // Newest first (by end_time), ties by UUID so that pages never overlap or skip.
    const matching = endingIn(query.endSpan.fromMs, query.endSpan.toMs).filter(
      (c) => visible(c, at) && query.predicates.every((p) => p(c)),
    );
    const page = matching.slice(query.offset, query.offset + query.limit);
    const hasNext = query.offset + query.limit < matching.length;
    const hasPrevious = query.offset > 0;
    const pageUrl = (offset: number) => {
      const p = new URLSearchParams(params);
      p.set('limit', String(query.limit));
      p.set('offset', String(offset));
      return `/v1/Account/${accountId}/Zentrunk/Call/?${p.toString()}`;
    };
    const link = (exists: boolean, offset: number) =>
      settings.metaNext === 'boolean'
        ? exists
        : settings.metaNext === 'url' && exists
          ? pageUrl(offset)
          : null;
    return json(200, {
      api_id: randomUUID(),
      meta: {
        limit: query.limit,
        offset: query.offset,
        total_count: Math.max(0, matching.length - faults.totalCountShortBy),
        previous: link(hasPrevious, Math.max(0, query.offset - query.limit)),
        next: link(hasNext, query.offset + query.limit),
      },
      objects: page.map((c) => renderCdr(c, { schemaDrift: faults.schemaDrift })),
    });
  }

  function route(req: IncomingMessage, url: URL, entry: SandboxRequest): Reply {
    const m = PATH_RE.exec(url.pathname);
    if (!m) return error(404, 'not found');
    const [, accountId = '', callUuid, insights] = m;
    const denied = authenticate(req, decodeURIComponent(accountId));
    if (denied) return denied;
    const limited = rateLimited();
    if (limited) return limited;
    if (req.method !== 'GET') return error(405, `method ${req.method} not allowed`, { Allow: 'GET' });
    if (callUuid === undefined) return list(accountId, url.searchParams);

    const call = calls.get(decodeURIComponent(callUuid));
    const at = now();
    if (!call || !visible(call, at)) return error(404, 'not found');
    if (insights === undefined) {
      return json(200, { api_id: randomUUID(), ...renderCdr(call, { schemaDrift: faults.schemaDrift }) });
    }
    const refusal = faults.insightsStatusByCall[call.callUuid];
    if (refusal !== undefined) {
      entry.fault = 'insights-status';
      return error(refusal, REFUSAL_TEXT[refusal] ?? `request refused (HTTP ${refusal})`);
    }
    // Plivo does not document when insights appear; a 404 is how "not yet" looks.
    const ready =
      !faults.insightsNeverReady &&
      call.insightsReadyAt !== null &&
      at.getTime() >= call.insightsReadyAt.getTime();
    if (!ready) return error(404, 'not found');
    return json(200, renderInsights(call, randomUUID(), { schemaDrift: faults.schemaDrift }));
  }

  const hits = (n: number, every: number) => every > 0 && n % every === 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: SandboxRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: null,
      fault: null,
    };
    requests.push(entry);
    const api = url.pathname.startsWith('/v1/');
    // The round trip of this request: half on the way in (below), half on the way out.
    let outboundMs = 0;
    let inboundMs = 0;
    if (api && latency) {
      const roundTrip = latency.minMs + latencyRandom() * (latency.maxMs - latency.minMs);
      entry.latencyMs = Math.round(roundTrip);
      inboundMs = roundTrip / 2;
      outboundMs = roundTrip - inboundMs;
    }
    const send = (reply: Reply, truncate = false) => {
      if (outboundMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          write(reply, truncate);
        }, outboundMs);
        timers.add(timer);
      } else {
        write(reply, truncate);
      }
    };
    const write = (reply: Reply, truncate: boolean) => {
      if (closed || res.writableEnded) return;
      if (api) {
        if (reply.status >= 200 && reply.status < 300) stats.served += 1;
        if (reply.status === 429) stats.throttled += 1;
      }
      entry.status = reply.status;
      const headers = { 'X-Request-ID': randomUUID(), ...reply.headers };
      if (truncate) {
        // No Content-Length: the body simply ends early, as from a proxy that gave up mid-stream.
        res.writeHead(reply.status, headers);
        res.end(reply.body.slice(0, Math.floor(reply.body.length / 2)));
        return;
      }
      res.writeHead(reply.status, { ...headers, 'Content-Length': String(Buffer.byteLength(reply.body)) });
      res.end(reply.body);
    };

    if (!api) {
      send(error(404, 'not found'));
      return;
    }
    apiCount += 1;
    stats.received += 1;
    const n = apiCount;
    if (inboundMs > 0) await wait(inboundMs);
    if (faults.delayMs > 0) await wait(faults.delayMs);
    if (closed) return;

    const inject = (fault: FaultKind, reply: Reply) => {
      entry.fault = fault;
      send(reply);
    };
    if (hits(n, faults.timeoutEvery)) {
      entry.fault = 'timeout';
      return; // Never answered; close() destroys the socket.
    }
    if (hits(n, faults.status429Every)) {
      const headers: Record<string, string> =
        faults.retryAfterSeconds === null ? {} : { 'Retry-After': String(faults.retryAfterSeconds) };
      return inject('429', error(429, 'too many requests', headers));
    }
    if (hits(n, faults.status5xxEvery)) return inject('5xx', error(500, 'internal server error'));
    if (hits(n, faults.nonJsonEvery)) {
      return inject('non-json', { status: 502, body: HTML_502, headers: { 'Content-Type': 'text/html' } });
    }
    if (faults.rejectCredentialsAfter !== null && n > faults.rejectCredentialsAfter) {
      return inject(
        'revoked',
        error(401, 'invalid Auth ID or Auth Token', { 'WWW-Authenticate': 'Basic realm="Plivo API"' }),
      );
    }
    let reply = route(req, url, entry);
    if (
      hits(n, faults.oversizedBodyEvery) &&
      reply.status >= 200 &&
      reply.status < 300 &&
      reply.body.endsWith('}')
    ) {
      entry.fault = 'oversized';
      const room = OVERSIZED_BODY_BYTES - Buffer.byteLength(reply.body) - ',"padding":""'.length;
      reply = { ...reply, body: `${reply.body.slice(0, -1)},"padding":"${'x'.repeat(Math.max(0, room))}"}` };
    }
    const truncate = hits(n, faults.truncatedBodyEvery);
    if (truncate) entry.fault = 'truncated';
    send(reply, truncate);
  }

  const serve = (req: IncomingMessage, res: ServerResponse) =>
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent || closed) return;
      const body = JSON.stringify({ api_id: randomUUID(), error: `sandbox bug: ${(e as Error).message}` });
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(body);
    });
  const server = createServer((req, res) => {
    // Drain any request body so keep-alive connections stay usable.
    req.resume();
    void serve(req, res);
  });

  /**
   * The API without a socket: the request's URL, method and Authorization header are handed to
   * the same handler the server uses, and what it writes becomes the Response. A hung request
   * (the timeout fault) settles only when its signal aborts; after close() requests fail.
   */
  const fetchInProcess: typeof fetch = (input, init) => {
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : String(input));
    const headers = new Headers(init?.headers ?? request?.headers);
    const signal = init?.signal ?? request?.signal ?? null;
    return new Promise<Response>((resolve, reject) => {
      if (closed) {
        reject(new TypeError('fetch failed: the sandbox is closed'));
        return;
      }
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = () => reject(signal?.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      let status = 200;
      let responseHeaders: Record<string, string> = {};
      const res = {
        headersSent: false,
        writableEnded: false,
        writeHead(code: number, head: Record<string, string>) {
          status = code;
          responseHeaders = head;
          res.headersSent = true;
          return res;
        },
        end(body?: string) {
          res.writableEnded = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(new Response(body ?? '', { status, headers: responseHeaders }));
        },
      };
      const req = {
        url: `${url.pathname}${url.search}`,
        method: init?.method ?? request?.method ?? 'GET',
        headers: { authorization: headers.get('authorization') ?? undefined },
      };
      void serve(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    });
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    fetch: fetchInProcess,
    faults,
    settings,
    requests,
    stats: () => ({ ...stats }),
    addCalls,
    setCredentials(authId, authToken) {
      Object.assign(accepted, { authId, authToken });
    },
    resetRequests() {
      requests.length = 0;
      apiCount = 0;
      served = [];
      stats = emptyStats();
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung ("timeout") and keep-alive connections would otherwise hold close() open forever.
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
    },
  };
}
