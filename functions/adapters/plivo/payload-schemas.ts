import * as z from 'zod/mini';
import '../../core/zod-locale';
import type { Attestation, Call, CallInsights, CallParty, StirVerification } from '../../core/call';

/**
 * The one place that knows how Plivo's Zentrunk payloads really look (see
 * docs/plivo-api.md): current and legacy field names, numbers sent as
 * strings, the string "null", lower-case STIR values, `meta.next` as a URL or a boolean.
 *
 * Policy: only `call_uuid` is essential. Every other field is lenient: when its value has a
 * type or shape the docs never showed, it becomes null instead of rejecting the call. The docs
 * are not a strict schema (they disagree with each other), and dropping a whole call over a
 * drifted cosmetic field would hide exactly the failed calls this project exists to alert on.
 * A null field only makes the rules that need it abstain.
 */

// ---------------------------------------------------------------------------------------------
// Field-level schemas

/** Plivo writes "no value" as null, "" or the string "null" (e.g. `attestation_indicator`). */
const absent = z.pipe(
  z.union([
    z.null(),
    z.undefined(),
    z.pipe(z.string().check(z.trim(), z.toLowerCase()), z.enum(['', 'null'])),
  ]),
  z.transform(() => null),
);

/** A field that is null when absent, "null", or of a type Plivo never documented for it. */
function lenient<T>(schema: z.ZodMiniType<T>) {
  return z.catch(z.union([absent, schema]), null);
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Numbers arrive as JSON numbers or as decimal strings ("0.00500", "24"). */
const numeric = z.pipe(
  z.union([z.number(), z.pipe(z.string().check(z.trim(), z.regex(NUMERIC)), z.transform(Number))]),
  z.number(),
);

const nonNegative = z.pipe(numeric, z.number().check(z.nonnegative()));
const integerCode = z.pipe(numeric, z.number().check(z.int(), z.nonnegative()));
/** Percent of packets: anything outside 0–100 is not a loss figure we can judge by. */
const percent = z.pipe(numeric, z.number().check(z.minimum(0), z.maximum(100)));
/** Plivo documents the score as 1–5; another value is not a score to alert on. */
const qualityScore = z.pipe(numeric, z.number().check(z.minimum(1), z.maximum(5)));

/** Free text; numbers are accepted because legacy payloads send some ids as numbers. */
const text = z.pipe(
  z.pipe(
    z.union([z.string(), z.number()]),
    z.transform((v) => String(v).trim()),
  ),
  z.string().check(z.minLength(1), z.maxLength(1000)),
);

const lowerText = z.pipe(
  text,
  z.transform((s) => s.toLowerCase()),
);

const country = z.pipe(
  z.string().check(z.trim(), z.regex(/^[A-Za-z]{2}$/)),
  z.transform((s) => s.toUpperCase()),
);

const bool = z.union([
  z.boolean(),
  z.pipe(
    z.literal(1),
    z.transform(() => true),
  ),
  z.pipe(
    z.literal(0),
    z.transform(() => false),
  ),
  // Legacy docs type `secure_trunking` as a string.
  z.pipe(
    z.pipe(z.string().check(z.trim(), z.toLowerCase()), z.enum(['true', 'false', 'yes', 'no', '1', '0'])),
    z.transform((s) => s === 'true' || s === 'yes' || s === '1'),
  ),
]);

const direction = z.pipe(z.string().check(z.trim(), z.toLowerCase()), z.enum(['inbound', 'outbound']));
const hangupSource = z.pipe(
  z.string().check(z.trim(), z.toLowerCase()),
  z.enum(['customer', 'carrier', 'zentrunk']),
);

/** `Verified` / `Not Verified` / `Not Applicable`, also seen as `not applicable`. */
const STIR_VALUES: Record<string, StirVerification> = {
  verified: 'verified',
  notverified: 'not-verified',
  notapplicable: 'not-applicable',
};
const stir = z.pipe(
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s) => s.toLowerCase().replace(/[\s_-]+/g, '')),
    ),
    z.enum(['verified', 'notverified', 'notapplicable']),
  ),
  z.transform((s) => STIR_VALUES[s] as StirVerification),
);

const attestation = z.pipe(
  z.pipe(z.string().check(z.trim(), z.toUpperCase()), z.enum(['A', 'B', 'C'])),
  z.transform((s): Attestation => s),
);

/**
 * Phone numbers become '+digits'. Current payloads send "+12025551234"; legacy ones send the
 * bare JSON number 552135006716. Anything that is not a number after dropping the usual
 * formatting (a SIP URI, "anonymous") becomes null: downstream code relies on E.164.
 */
export function normalizePhoneNumber(value: unknown): string | null {
  let digits: string | null = null;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value > 0) digits = String(value);
  } else if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^\+?[\d\s().-]+$/.test(trimmed)) digits = trimmed.replace(/\D/g, '');
  }
  return digits && digits.length >= 1 && digits.length <= 20 ? `+${digits}` : null;
}

const phone = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform<string | number, string | null>(normalizePhoneNumber),
);

const PLIVO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Plivo's times are UTC `YYYY-MM-DD HH:MM:SS` (the filter syntax also allows `HH:MM` and
 * microseconds); ISO 8601 with `T` and an offset is accepted too. Legacy docs claim the
 * console's local timezone, which a client cannot know: those are read as UTC as well.
 * Impossible dates, including the "zero date" `0000-00-00 00:00:00` some CDR stores use for
 * "never answered", become null. Returns an ISO 8601 UTC instant.
 */
export function parsePlivoTime(value: string): string | null {
  const m = PLIVO_TIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = ''] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  let offsetMin = 0;
  const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (zm) {
    const oh = Number(zm[2]);
    const om = Number(zm[3] ?? '0');
    if (oh > 23 || om > 59) return null;
    offsetMin = (zm[1] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const epoch = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  const date = new Date(epoch);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const time = z.pipe(z.string(), z.transform(parsePlivoTime));

/**
 * A call id is interpolated into request paths (`/Call/{uuid}/Insights/`), so only ids that
 * are safe there are usable: letters, digits, '-' and '_'. Plivo's are UUIDs, but one doc
 * example has a malformed one (`0b6eb07-…-44ed11667ddbe`), so the exact UUID shape is not
 * required.
 */
const CALL_UUID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function isUsableCallUuid(value: unknown): value is string {
  return typeof value === 'string' && CALL_UUID.test(value) && !/^(null|undefined|none)$/i.test(value);
}

const callUuid = z
  .string({ error: 'missing or not a string' })
  .check(z.trim(), z.refine(isUsableCallUuid, { error: 'empty, "null" or not a usable id' }));

// ---------------------------------------------------------------------------------------------
// Keys

const QUOTES = /^[\s"'“”‘’]+|[\s"'“”‘’]+$/g;

/**
 * Keys compared without case, surrounding whitespace or quotes: one doc example even has
 * `“billed_duration”` with typographic quotes. An exact key wins over a cleaned-up one.
 */
function normalizeKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const exact = new Map<string, unknown>();
  const cleaned = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value)) {
    const clean = key.replace(QUOTES, '').toLowerCase();
    if (clean === key) exact.set(key, v);
    else if (!cleaned.has(clean)) cleaned.set(clean, v);
  }
  for (const [key, v] of cleaned) if (!exact.has(key)) exact.set(key, v);
  return Object.fromEntries(exact);
}

/** The first value that is not null: current field first, legacy fallback. */
function first<T>(...values: Array<T | null>): T | null {
  for (const v of values) if (v !== null) return v;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Call

const rawCallSchema = z.object({
  call_uuid: callUuid,
  call_id: lenient(text),
  from_number: lenient(phone),
  to_number: lenient(phone),
  call_direction: lenient(direction),
  call_duration: lenient(nonNegative),
  /** Legacy name of call_duration (legacy docs type it as a string). */
  duration: lenient(nonNegative),
  bill_duration: lenient(nonNegative),
  /** Current docs send it beside bill_duration; the two may differ. bill_duration wins. */
  billed_duration: lenient(nonNegative),
  initiation_time: lenient(time),
  answer_time: lenient(time),
  end_time: lenient(time),
  hangup_cause_name: lenient(text),
  hangup_cause: lenient(text),
  hangup_cause_code: lenient(integerCode),
  hangup_code: lenient(integerCode),
  hangup_source: lenient(hangupSource),
  hangup_initiator: lenient(hangupSource),
  total_rate: lenient(numeric),
  rate: lenient(numeric),
  total_amount: lenient(numeric),
  trunk_domain: lenient(text),
  trunk_id: lenient(text),
  region: lenient(text),
  from_country: lenient(country),
  to_country: lenient(country),
  /** Misspelt so in the legacy Call object docs. */
  to_counrty: lenient(country),
  transport_protocol: lenient(lowerText),
  srtp: lenient(bool),
  secure_trunking: lenient(bool),
  stir_verification: lenient(stir),
  attestation_indicator: lenient(attestation),
});

const callSchema = z.pipe(
  z.transform(normalizeKeys),
  z.pipe(
    rawCallSchema,
    z.transform((r): Call => ({
      callUuid: r.call_uuid,
      sipCallId: r.call_id,
      fromNumber: r.from_number,
      toNumber: r.to_number,
      direction: r.call_direction,
      durationSec: first(r.call_duration, r.duration),
      billDurationSec: first(r.bill_duration, r.billed_duration),
      initiationTime: r.initiation_time,
      answerTime: r.answer_time,
      endTime: r.end_time,
      hangupCauseCode: first(r.hangup_cause_code, r.hangup_code),
      hangupCauseName: first(r.hangup_cause_name, r.hangup_cause),
      hangupSource: first(r.hangup_source, r.hangup_initiator),
      trunkDomain: r.trunk_domain,
      trunkId: r.trunk_id,
      region: r.region,
      fromCountry: r.from_country,
      toCountry: first(r.to_country, r.to_counrty),
      transportProtocol: r.transport_protocol,
      srtp: r.srtp,
      secureTrunking: r.secure_trunking,
      stirVerification: r.stir_verification,
      attestation: r.attestation_indicator,
      ratePerMinute: first(r.total_rate, r.rate),
      totalAmount: r.total_amount,
    })),
  ),
);

function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      if (path === '' && issue.code === 'invalid_type') return 'record is not a JSON object';
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function recordUuid(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const uuid = (raw as Record<string, unknown>)['call_uuid'];
  return typeof uuid === 'string' && isUsableCallUuid(uuid.trim()) ? uuid.trim() : null;
}

export type NormalizeCallResult =
  { ok: true; call: Call } | { ok: false; reason: string; callUuid: string | null };

/** One call record (list item or single-call response) into a `Call`. Never throws. */
export function normalizeCall(raw: unknown): NormalizeCallResult {
  try {
    const parsed = callSchema.safeParse(raw);
    if (parsed.success) {
      // Every listed CDR is of a call that ended, and the poller's windows are on end_time: a
      // record without a readable one (e.g. the zero date) cannot be placed, so it is skipped.
      if (parsed.data.endTime === null) {
        return { ok: false, reason: 'end_time: missing or not a valid time', callUuid: parsed.data.callUuid };
      }
      return { ok: true, call: parsed.data };
    }
    return { ok: false, reason: describeIssues(parsed.error), callUuid: recordUuid(raw) };
  } catch (error) {
    return { ok: false, reason: `record could not be read: ${String(error)}`, callUuid: null };
  }
}

// ---------------------------------------------------------------------------------------------
// Insights

const NO_PARTY: CallParty = { carrier: null, number: null, region: null };

const partySchema = z.catch(
  z.pipe(
    z.transform(normalizeKeys),
    z.object({ carrier: lenient(text), number: lenient(phone), region: lenient(text) }),
  ),
  NO_PARTY,
);

/** One end of the call in Insights: absent or unreadable is "nothing known", never a rejection. */
const insightsParty = z.catch(
  z.union([
    z.pipe(
      absent,
      z.transform(() => NO_PARTY),
    ),
    partySchema,
  ]),
  NO_PARTY,
);

const rawInsightsSchema = z.object({
  call_uuid: lenient(callUuid),
  from: insightsParty,
  to: insightsParty,
  hangup_cause: lenient(text),
  hangup_source: lenient(lowerText),
  rtt: lenient(nonNegative),
  jitter: lenient(nonNegative),
  packet_loss: lenient(percent),
  post_dial_delay: lenient(nonNegative),
  plivo_quality_score: lenient(qualityScore),
  error: lenient(text),
});

const insightsSchema = z.pipe(z.transform(normalizeKeys), rawInsightsSchema);

export type NormalizeInsightsResult = { ok: true; insights: CallInsights } | { ok: false; reason: string };

/**
 * An Insights response into `CallInsights`. Never throws. Rejected: a body that is not an
 * object, an error envelope, or insights that name another call (trusting those would judge
 * one call by another's quality).
 */
export function normalizeInsights(raw: unknown, callUuid: string): NormalizeInsightsResult {
  try {
    const parsed = insightsSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
    const r = parsed.data;
    if (r.call_uuid !== null && r.call_uuid !== callUuid) {
      return { ok: false, reason: `insights are for call ${r.call_uuid}, not ${callUuid}` };
    }
    const metrics = [r.rtt, r.jitter, r.packet_loss, r.post_dial_delay, r.plivo_quality_score];
    if (r.error !== null && r.call_uuid === null && metrics.every((m) => m === null)) {
      return { ok: false, reason: `Plivo returned an error body: ${r.error.slice(0, 200)}` };
    }
    return {
      ok: true,
      insights: {
        callUuid,
        from: r.from,
        to: r.to,
        hangupCause: r.hangup_cause,
        hangupSource: r.hangup_source,
        rttMs: r.rtt,
        jitterMs: r.jitter,
        packetLossPct: r.packet_loss,
        postDialDelayMs: r.post_dial_delay,
        qualityScore: r.plivo_quality_score,
      },
    };
  } catch (error) {
    return { ok: false, reason: `insights could not be read: ${String(error)}` };
  }
}

// ---------------------------------------------------------------------------------------------
// List envelope

export interface ListEnvelope {
  objects: unknown[];
  totalCount: number | null;
  limit: number | null;
  offset: number | null;
  /**
   * What `meta.next` says: a URL or `true` → true; `null`, `""` or `false` → false; absent or
   * anything else → null. Current docs use a URL or null, legacy docs and the PHP SDK a
   * boolean. The client pages by offset and goes on while this or total_count says there is
   * more (it never follows the URL itself).
   */
  hasNext: boolean | null;
}

export type ParseListEnvelopeResult = ({ ok: true } & ListEnvelope) | { ok: false; reason: string };

const nextSchema = z.catch(
  z.pipe(
    z.optional(
      z.union([
        z.boolean(),
        z.pipe(
          z.null(),
          z.transform(() => false),
        ),
        z.pipe(
          z.string().check(z.trim()),
          z.transform((s) => s !== '' && s.toLowerCase() !== 'null' && s.toLowerCase() !== 'false'),
        ),
      ]),
    ),
    z.transform((v) => v ?? null),
  ),
  null,
);

const metaSchema = z.catch(
  z.optional(
    z.nullable(
      z.pipe(
        z.transform(normalizeKeys),
        z.object({
          total_count: lenient(integerCode),
          limit: lenient(integerCode),
          offset: lenient(integerCode),
          next: nextSchema,
        }),
      ),
    ),
  ),
  null,
);

const envelopeSchema = z.pipe(
  z.transform(normalizeKeys),
  z.object({
    objects: z.array(z.unknown(), { error: 'missing or not an array' }),
    meta: metaSchema,
  }),
);

/** The body of a list request. Never throws; a body without an `objects` array is an error. */
export function parseListEnvelope(body: unknown): ParseListEnvelopeResult {
  try {
    const parsed = envelopeSchema.safeParse(body);
    if (!parsed.success) {
      const plivoError =
        typeof body === 'object' && body !== null && 'error' in body
          ? ` (Plivo says: ${String((body as { error: unknown }).error).slice(0, 200)})`
          : '';
      const reason = describeIssues(parsed.error).replace('record is not', 'body is not');
      return { ok: false, reason: `not a Zentrunk list response: ${reason}${plivoError}` };
    }
    const meta = parsed.data.meta ?? null;
    return {
      ok: true,
      objects: parsed.data.objects,
      totalCount: meta?.total_count ?? null,
      limit: meta?.limit ?? null,
      offset: meta?.offset ?? null,
      hasNext: meta?.next ?? null,
    };
  } catch (error) {
    return { ok: false, reason: `list response could not be read: ${String(error)}` };
  }
}
