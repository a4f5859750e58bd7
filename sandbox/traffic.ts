/**
 * Seeded, deterministic Zentrunk traffic for the Plivo sandbox: mostly healthy calls plus
 * incidents that trip every default rule, calls that must not alert, late CDRs and insights,
 * and a few malformed records. Same arguments, same calls: no Math.random, no clock reads.
 */
import type { Call, CallInsights, EvaluatedCall, StirVerification } from '../functions/core/call';
import { parseConfig } from '../functions/core/config/load-config';
import type { AlertConfig, RuleId } from '../functions/core/config/schema';
import { CALL_RULES, evaluateRules } from '../functions/core/rules/evaluate-rules';

export type PayloadVariant =
  /** The shape of Plivo's current docs (`call_duration`, `hangup_cause_name`, rates as decimal strings). */
  | 'current'
  /**
   * What production records add: `call_id`, `cnam_lookup`, `trunk_id`, lower-case STIR values
   * ("not applicable"), `billed_duration` differing from `bill_duration`, "null" strings in insights.
   */
  | 'current-production'
  /** The legacy docs: `duration` (a string), `hangup_cause`, `hangup_code`, `hangup_initiator`, `rate`, numbers without '+' as JSON numbers. */
  | 'legacy';

export type MalformedKind = 'missing-call-uuid' | 'bad-end-time';
export type StirValue = 'Verified' | 'Not Verified' | 'Not Applicable';
export type SandboxHangupSource = 'customer' | 'carrier' | 'zentrunk';
/**
 * Countries calls are made to and from. Healthy traffic uses the first four only (COUNTRIES);
 * 'ST' (São Tomé and Príncipe) is the premium-rate destination of the seasonal traffic's
 * toll-fraud burst (seasonal-traffic.ts), never called otherwise.
 */
export type Country = 'US' | 'GB' | 'IN' | 'DE' | 'ST';

/** Calls that must alert under the default config. */
export const ALERTING_INCIDENTS = [
  'low-quality-score',
  'low-quality-score-critical',
  'packet-loss',
  'packet-loss-critical',
  'zentrunk-hangup',
  'zentrunk-hangup-unanswered',
  'stir-not-verified-b',
  'stir-not-verified-c',
  'high-jitter',
  'high-rtt',
  'high-post-dial-delay',
  /** Packet loss on a CDR that only appears 6 minutes after its end_time (tests the poll overlap). */
  'late-cdr',
  /** High jitter whose insights only exist 25 minutes after hangup (tests insights retries). */
  'insights-late',
] as const;

/** Calls that look suspicious but must NOT alert under the default config. */
export const QUIET_INCIDENTS = [
  'stir-not-applicable',
  'ignored-zentrunk-busy',
  'ignored-zentrunk-cancelled',
  'ignored-zentrunk-unavailable',
  'ignored-zentrunk-normal',
  'carrier-hangup-error',
  /** Every metric exactly on (or just inside) its threshold: quality 3.0, RTT 300, PDD 5000, jitter 29, loss 0.89. */
  'boundary-values',
  /** Healthy CDR whose insights never become available. */
  'insights-never-ready',
] as const;

export const MALFORMED_INCIDENTS = ['malformed-missing-call-uuid', 'malformed-bad-end-time'] as const;

export type IncidentKind =
  | (typeof ALERTING_INCIDENTS)[number]
  | (typeof QUIET_INCIDENTS)[number]
  | (typeof MALFORMED_INCIDENTS)[number];

export const INCIDENT_KINDS: readonly IncidentKind[] = [
  ...ALERTING_INCIDENTS,
  ...QUIET_INCIDENTS,
  ...MALFORMED_INCIDENTS,
];

/** Everything the sandbox needs to render a call's CDR and its insights, in every payload variant. */
export interface SandboxCall {
  callUuid: string;
  /** SIP Call-ID (rendered as `call_id` by the production variant only). */
  sipCallId: string;
  direction: 'inbound' | 'outbound';
  /** E.164 with '+'; the legacy variant renders bare digits as a JSON number. */
  fromNumber: string;
  toNumber: string;
  fromCountry: Country;
  toCountry: Country;
  fromCarrier: string;
  toCarrier: string;
  trunkDomain: string;
  trunkId: string;
  region: string;
  initiationTime: Date;
  /** null: never answered. */
  answerTime: Date | null;
  endTime: Date;
  durationSec: number;
  billDurationSec: number;
  /** Plivo's second billed field; the production variant shows it rounded to a 60 s interval. */
  billedDurationSec: number;
  ratePerMinute: number;
  totalAmount: number;
  transportProtocol: 'udp' | 'tcp' | 'tls';
  srtp: boolean;
  secureTrunking: boolean;
  hangupCauseCode: number;
  hangupCauseName: string;
  hangupSource: SandboxHangupSource;
  stirVerification: StirValue;
  attestation: 'A' | 'B' | 'C' | null;
  /** Insights metrics; null when the call carried no media (never answered). */
  rttMs: number | null;
  jitterMs: number | null;
  packetLossPct: number | null;
  qualityScore: number | null;
  postDialDelayMs: number;
  /** The CDR is listed from this instant on (usually end_time; later for late-CDR incidents). */
  cdrReadyAt: Date;
  /** Insights answer 404 before this instant; null: never. */
  insightsReadyAt: Date | null;
  variant: PayloadVariant;
  malformed?: MalformedKind;
  /** 'premium-rate-burst': a call of the seasonal traffic's toll-fraud burst (seasonal-traffic.ts). */
  scenario: 'healthy' | IncidentKind | 'premium-rate-burst';
  /** Rules this call trips under the default config (see DEFAULT_THRESHOLDS); [] for malformed records. */
  expectedAlerts: RuleId[];
}

export interface SandboxTrunk {
  domain: string;
  id: string;
  region: string;
  country: Country;
  /** The trunk's DIDs / caller IDs, E.164. */
  numbers: string[];
  /** Relative share of traffic (default 1). */
  weight?: number;
}

export const DEFAULT_TRUNKS: readonly SandboxTrunk[] = [
  {
    domain: 'acme.zt.plivo.com',
    id: '93667062664669661',
    region: 'us-east-1',
    country: 'US',
    numbers: ['+12025550143', '+13125550187', '+14155550112'],
    weight: 5,
  },
  {
    domain: 'globex.zt.plivo.com',
    id: '51728394017263548',
    region: 'eu-central-1',
    country: 'GB',
    numbers: ['+442079460123', '+447700900456'],
    weight: 2,
  },
  {
    domain: 'initech.ap-south-1.zt.plivo.com',
    id: '70214385960127744',
    region: 'ap-south-1',
    country: 'IN',
    numbers: ['+912235328936', '+918069012345'],
    weight: 2,
  },
];

/** The config a config file that says nothing gets: what expectedAlerts are judged by. */
const DEFAULT_CONFIG: AlertConfig = parseConfig({}, 'the schema defaults');

/**
 * Some default thresholds, read from the config schema's defaults (not a copy of them), for
 * tests that build calls on either side of one.
 */
export const DEFAULT_THRESHOLDS = {
  qualityBelow: DEFAULT_CONFIG.rules['low-quality-score'].below,
  packetLossAtOrAbovePct: DEFAULT_CONFIG.rules['packet-loss'].thresholdPct,
  jitterAtOrAboveMs: DEFAULT_CONFIG.rules['high-jitter'].thresholdMs,
  rttAboveMs: DEFAULT_CONFIG.rules['high-rtt'].thresholdMs,
  postDialDelayAboveMs: DEFAULT_CONFIG.rules['high-post-dial-delay'].thresholdMs,
  ignoredZentrunkCodes: DEFAULT_CONFIG.rules['zentrunk-hangup'].ignoreCodes as readonly number[],
};

export interface TrafficOptions {
  seed: number;
  /** Calls end in [from, to). */
  from: Date;
  to: Date;
  /** Healthy calls per minute (incidents come on top). */
  callsPerMinute: number;
  trunks?: readonly SandboxTrunk[];
  /** Which incidents to add, each once, spread over the window. Default 'all'. */
  incidents?: 'all' | 'none' | readonly IncidentKind[];
  /** Variants healthy calls are rendered in, picked uniformly. Default: mostly current, some production and legacy. */
  variants?: readonly PayloadVariant[];
}

// ---------------------------------------------------------------------------------------------
// PRNG

/**
 * Math's functions, held here: jest runs modules in a vm context, where every read of a global
 * such as `Math` is many times slower than in a plain process, and these run millions of times
 * (14 days of seasonal traffic took 9 s instead of 2 s in a test).
 */
const { imul, floor } = Math;

/** mulberry32: tiny, fast, good enough for test traffic, and identical on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the parts, so that the same seed over different windows gives different calls (and UUIDs). */
export function mixSeed(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('|')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
  int(min: number, maxInclusive: number): number {
    return min + floor(this.next() * (maxInclusive - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new Error('weighted pick from an empty list');
    return last[0];
  }
  digits(n: number): string {
    let out = '';
    for (let i = 0; i < n; i += 1) out += String(this.int(0, 9));
    return out;
  }
  hex(n: number): string {
    let out = '';
    for (let i = 0; i < n; i += 1) out += this.int(0, 15).toString(16);
    return out;
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  uuid(): string {
    const variant = this.pick(['8', '9', 'a', 'b']);
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(12)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Realistic values

/** The countries healthy calls go to and come from. */
const COUNTRIES: readonly Country[] = ['US', 'GB', 'IN', 'DE'];

export const CARRIERS: Record<Country, readonly string[]> = {
  US: ['Verizon Wireless', 'AT&T', 'T-Mobile USA', 'Lumen'],
  GB: ['BT', 'Vodafone UK', 'EE'],
  IN: ['Bharti Airtel', 'Reliance Jio', 'Vodafone Idea'],
  DE: ['Deutsche Telekom', 'Vodafone DE', 'Telefonica Germany'],
  ST: ['CST', 'Unitel STP'],
};

/**
 * Per-minute USD rates by destination (inbound is cheaper everywhere). São Tomé's is that of
 * a premium-rate range: some 200 times what a call to the US costs.
 */
export const RATES: Record<Country, number> = { US: 0.005, GB: 0.012, IN: 0.0298, DE: 0.015, ST: 0.98 };
const INBOUND_RATE = 0.0035;
/** Billing increment in seconds by destination. */
const BILLING_INCREMENT: Record<Country, number> = { US: 6, GB: 1, IN: 60, DE: 60, ST: 60 };

export function phoneNumber(rng: Rng, country: Country): string {
  switch (country) {
    case 'US':
      // 555-01xx is reserved for fiction: realistic shape, never a real subscriber.
      return `+1${rng.pick(['202', '212', '312', '415', '617', '646', '718', '305'])}55501${rng.digits(2)}`;
    case 'GB':
      // Ofcom's drama ranges.
      return rng.chance(0.5) ? `+4420794600${rng.digits(2)}` : `+447700900${rng.digits(3)}`;
    case 'IN':
      return rng.chance(0.5) ? `+9122${rng.int(2, 6)}${rng.digits(7)}` : `+919${rng.digits(9)}`;
    case 'DE':
      return rng.chance(0.5) ? `+4930${rng.int(2, 9)}${rng.digits(7)}` : `+49151${rng.digits(8)}`;
    case 'ST':
      // +239 and seven digits, in the 99 mobile block; sandbox data, never dialled.
      return `+23999${rng.digits(5)}`;
  }
}

function otherCountry(rng: Rng, home: Country): Country {
  if (rng.chance(0.6)) return home;
  return rng.pick(COUNTRIES.filter((c) => c !== home));
}

const round = (value: number, decimals: number) => Number(value.toFixed(decimals));

// ---------------------------------------------------------------------------------------------
// One call

export interface Shape {
  direction?: 'inbound' | 'outbound';
  /** Force a US→US call (STIR applies). */
  usDomestic?: boolean;
  /** Force an international call (STIR does not apply). */
  international?: boolean;
  answered?: boolean;
}

function pickTrunk(rng: Rng, trunks: readonly SandboxTrunk[], shape: Shape): SandboxTrunk {
  if (shape.usDomestic) {
    const us = trunks.filter((t) => t.country === 'US');
    if (us.length > 0) return rng.pick(us);
  }
  return rng.weighted(trunks.map((t) => [t, t.weight ?? 1] as const));
}

/** One healthy call on one of `trunks` that ends at `endSec`; `shape` forces some of it. */
export function baseCall(
  rng: Rng,
  trunks: readonly SandboxTrunk[],
  endSec: number,
  shape: Shape,
): SandboxCall {
  const trunk = pickTrunk(rng, trunks, shape);
  const direction = shape.direction ?? (rng.chance(0.75) ? 'outbound' : 'inbound');
  let fromCountry: Country;
  let toCountry: Country;
  let fromNumber: string;
  let toNumber: string;
  const remote = (): Country =>
    shape.usDomestic
      ? 'US'
      : shape.international
        ? rng.pick(COUNTRIES.filter((c) => c !== trunk.country))
        : otherCountry(rng, trunk.country);
  if (direction === 'outbound') {
    fromCountry = shape.usDomestic ? 'US' : trunk.country;
    fromNumber =
      shape.usDomestic && trunk.country !== 'US' ? phoneNumber(rng, 'US') : rng.pick(trunk.numbers);
    toCountry = remote();
    toNumber = phoneNumber(rng, toCountry);
  } else {
    toCountry = shape.usDomestic ? 'US' : trunk.country;
    toNumber = shape.usDomestic && trunk.country !== 'US' ? phoneNumber(rng, 'US') : rng.pick(trunk.numbers);
    fromCountry = remote();
    fromNumber = phoneNumber(rng, fromCountry);
  }

  const answered = shape.answered ?? rng.chance(0.88);
  const postDialDelayMs = Math.round(rng.range(600, 3800));
  let durationSec = 0;
  let ringSec: number;
  let hangupCauseCode: number;
  let hangupCauseName: string;
  let hangupSource: SandboxHangupSource;
  if (answered) {
    durationSec = Math.min(3600, Math.max(3, Math.round(Math.exp(Math.log(90) + rng.normal()))));
    ringSec = Math.ceil(postDialDelayMs / 1000) + rng.int(2, 18);
    [hangupCauseCode, hangupCauseName, hangupSource] = rng.chance(0.5)
      ? [3000, 'normal_hangup', 'carrier']
      : [3010, 'normal_hangup', 'customer'];
  } else {
    [hangupCauseCode, hangupCauseName, hangupSource] = rng.weighted([
      [[4410, 'user_busy', 'carrier'] as const, 4],
      [[4550, 'user_cancelled', 'customer'] as const, 4],
      [[4340, 'temporary_unavailable', 'carrier'] as const, 2],
    ]);
    ringSec = Math.ceil(postDialDelayMs / 1000) + (hangupCauseCode === 4410 ? 1 : rng.int(5, 30));
  }
  const endTime = new Date(endSec * 1000);
  const answerTime = answered ? new Date((endSec - durationSec) * 1000) : null;
  const initiationTime = new Date((endSec - durationSec - ringSec) * 1000);

  const billing = direction === 'outbound' ? BILLING_INCREMENT[toCountry] : 60;
  const billDurationSec = answered ? Math.ceil(durationSec / billing) * billing : 0;
  const billedDurationSec = answered ? Math.ceil(durationSec / 60) * 60 : 0;
  const ratePerMinute = direction === 'outbound' ? RATES[toCountry] : INBOUND_RATE;
  const totalAmount = round((ratePerMinute * billDurationSec) / 60, 5);

  const transportProtocol = rng.weighted([
    ['udp', 8],
    ['tcp', 1],
    ['tls', 1],
  ] as const);
  const secureTrunking = transportProtocol === 'tls';

  const stirApplies = fromCountry === 'US' && toCountry === 'US';
  const domestic = fromCountry === toCountry;
  const endMs = endSec * 1000;

  return {
    callUuid: rng.uuid(),
    sipCallId: `${rng.hex(24)}@${trunk.domain}`,
    direction,
    fromNumber,
    toNumber,
    fromCountry,
    toCountry,
    fromCarrier: rng.pick(CARRIERS[fromCountry]),
    toCarrier: rng.pick(CARRIERS[toCountry]),
    trunkDomain: trunk.domain,
    trunkId: trunk.id,
    region: trunk.region,
    initiationTime,
    answerTime,
    endTime,
    durationSec,
    billDurationSec,
    billedDurationSec,
    ratePerMinute,
    totalAmount,
    transportProtocol,
    srtp: secureTrunking,
    secureTrunking,
    hangupCauseCode,
    hangupCauseName,
    hangupSource,
    stirVerification: stirApplies ? 'Verified' : 'Not Applicable',
    attestation: stirApplies ? 'A' : null,
    rttMs: answered ? Math.round(domestic ? rng.range(18, 120) : rng.range(90, 240)) : null,
    jitterMs: answered ? Math.round(rng.range(1, 14)) : null,
    packetLossPct: answered ? (rng.chance(0.7) ? 0 : round(rng.range(0.01, 0.45), 2)) : null,
    qualityScore: answered ? round(rng.range(3.6, 4.6), 1) : null,
    postDialDelayMs,
    cdrReadyAt: endTime,
    insightsReadyAt: new Date(endMs + Math.round(rng.range(90, 540)) * 1000),
    variant: 'current',
    scenario: 'healthy',
    expectedAlerts: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Incidents

interface IncidentSpec {
  shape: Shape;
  apply(call: SandboxCall, rng: Rng): void;
  /** Force a payload variant (e.g. the lower-case STIR quirk lives in the production variant). */
  variant?: PayloadVariant;
}

const INCIDENTS: Record<IncidentKind, IncidentSpec> = {
  'low-quality-score': { shape: { answered: true }, apply: (c) => void (c.qualityScore = 2.6) },
  'low-quality-score-critical': { shape: { answered: true }, apply: (c) => void (c.qualityScore = 1.7) },
  'packet-loss': { shape: { answered: true }, apply: (c) => void (c.packetLossPct = 1.6) },
  'packet-loss-critical': { shape: { answered: true }, apply: (c) => void (c.packetLossPct = 6.2) },
  'zentrunk-hangup': {
    shape: { answered: true },
    apply: (c) => setHangup(c, 3020, 'rtp_timeout', 'zentrunk'),
  },
  'zentrunk-hangup-unanswered': {
    shape: { answered: false, direction: 'outbound' },
    apply: (c) => setHangup(c, 5180, 'cps_limit_reached', 'zentrunk'),
  },
  'stir-not-verified-b': {
    shape: { usDomestic: true, answered: true, direction: 'outbound' },
    apply: (c) => setStir(c, 'Not Verified', 'B'),
  },
  'stir-not-verified-c': {
    shape: { usDomestic: true, answered: true, direction: 'inbound' },
    apply: (c) => setStir(c, 'Not Verified', 'C'),
  },
  'high-jitter': { shape: { answered: true }, apply: (c) => void (c.jitterMs = 41) },
  'high-rtt': { shape: { answered: true }, apply: (c) => void (c.rttMs = 412) },
  'high-post-dial-delay': {
    shape: { answered: true },
    apply: (c) => {
      c.postDialDelayMs = 7800;
      // Keep initiation → answer at least as long as the post-dial delay.
      c.initiationTime = new Date(c.initiationTime.getTime() - 6000);
    },
  },
  'late-cdr': {
    shape: { answered: true },
    apply: (c) => {
      c.packetLossPct = 2.1;
      c.cdrReadyAt = new Date(c.endTime.getTime() + 6 * 60_000);
      c.insightsReadyAt = new Date(c.endTime.getTime() + 8 * 60_000);
    },
  },
  'insights-late': {
    shape: { answered: true },
    apply: (c) => {
      c.jitterMs = 38;
      c.insightsReadyAt = new Date(c.endTime.getTime() + 25 * 60_000);
    },
  },
  'stir-not-applicable': {
    shape: { international: true, answered: true },
    variant: 'current-production',
    apply: (c) => setStir(c, 'Not Applicable', null),
  },
  'ignored-zentrunk-busy': {
    shape: { answered: false },
    apply: (c) => setHangup(c, 4410, 'user_busy', 'zentrunk'),
  },
  'ignored-zentrunk-cancelled': {
    shape: { answered: false },
    apply: (c) => setHangup(c, 4550, 'user_cancelled', 'zentrunk'),
  },
  'ignored-zentrunk-unavailable': {
    shape: { answered: false },
    apply: (c) => setHangup(c, 4340, 'temporary_unavailable', 'zentrunk'),
  },
  'ignored-zentrunk-normal': {
    shape: { answered: true },
    apply: (c) => setHangup(c, 3000, 'normal_hangup', 'zentrunk'),
  },
  'carrier-hangup-error': {
    shape: { answered: false },
    apply: (c) => setHangup(c, 5030, 'not_implemented_at_carrier', 'carrier'),
  },
  'boundary-values': {
    shape: { answered: true },
    variant: 'current',
    apply: (c) => {
      c.qualityScore = 3.0;
      c.rttMs = 300;
      c.postDialDelayMs = 5000;
      c.jitterMs = 29;
      c.packetLossPct = 0.89;
    },
  },
  'insights-never-ready': { shape: { answered: true }, apply: (c) => void (c.insightsReadyAt = null) },
  'malformed-missing-call-uuid': {
    shape: { answered: true },
    variant: 'current',
    apply: (c) => void (c.malformed = 'missing-call-uuid'),
  },
  'malformed-bad-end-time': {
    shape: { answered: true },
    variant: 'current',
    apply: (c) => void (c.malformed = 'bad-end-time'),
  },
};

function setHangup(c: SandboxCall, code: number, name: string, source: SandboxHangupSource): void {
  c.hangupCauseCode = code;
  c.hangupCauseName = name;
  c.hangupSource = source;
}

function setStir(c: SandboxCall, value: StirValue, attestation: 'A' | 'B' | 'C' | null): void {
  c.stirVerification = value;
  c.attestation = attestation;
}

const STIR: Record<StirValue, StirVerification> = {
  Verified: 'verified',
  'Not Verified': 'not-verified',
  'Not Applicable': 'not-applicable',
};

/**
 * The call as the poller knows it once Plivo has it all: its CDR and, unless they never come,
 * its Insights (what the payload schemas make of the sandbox's records).
 */
export function toEvaluated(c: SandboxCall): EvaluatedCall {
  const iso = (date: Date | null) => date && date.toISOString();
  const call: Call = {
    callUuid: c.callUuid,
    sipCallId: c.sipCallId,
    fromNumber: c.fromNumber,
    toNumber: c.toNumber,
    direction: c.direction,
    durationSec: c.durationSec,
    billDurationSec: c.billDurationSec,
    initiationTime: iso(c.initiationTime),
    answerTime: iso(c.answerTime),
    endTime: iso(c.endTime),
    hangupCauseCode: c.hangupCauseCode,
    hangupCauseName: c.hangupCauseName,
    hangupSource: c.hangupSource,
    trunkDomain: c.trunkDomain,
    trunkId: c.trunkId,
    region: c.region,
    fromCountry: c.fromCountry,
    toCountry: c.toCountry,
    transportProtocol: c.transportProtocol,
    srtp: c.srtp,
    secureTrunking: c.secureTrunking,
    stirVerification: STIR[c.stirVerification],
    attestation: c.attestation,
    ratePerMinute: c.ratePerMinute,
    totalAmount: c.totalAmount,
  };
  const insights: CallInsights | null =
    c.insightsReadyAt === null
      ? null
      : {
          callUuid: c.callUuid,
          from: { carrier: c.fromCarrier, number: c.fromNumber, region: c.fromCountry },
          to: { carrier: c.toCarrier, number: c.toNumber, region: c.toCountry },
          hangupCause: c.hangupCauseName,
          hangupSource: c.hangupSource,
          rttMs: c.rttMs,
          jitterMs: c.jitterMs,
          packetLossPct: c.packetLossPct,
          postDialDelayMs: c.postDialDelayMs,
          qualityScore: c.qualityScore,
        };
  return { call, insights, insightsGaveUp: insights === null };
}

/** The rules a call trips under the default config: the poller's own rules, run on it. */
export function expectedAlertsOf(subject: EvaluatedCall): RuleId[] {
  return evaluateRules([subject], DEFAULT_CONFIG).map((f) => f.ruleId as RuleId);
}

/** expectedAlerts of a sandbox call: none for a malformed record, which the poller skips. */
export function expectedAlertsFor(c: SandboxCall): RuleId[] {
  return c.malformed ? [] : expectedAlertsOf(toEvaluated(c));
}

// ---------------------------------------------------------------------------------------------
// Traffic

const DEFAULT_VARIANT_WEIGHTS: ReadonlyArray<readonly [PayloadVariant, number]> = [
  ['current', 7],
  ['current-production', 2],
  ['legacy', 1],
];

/** The calls with their CDR and Insights there the moment each call ends (no late data). */
export function readyAtEnd(calls: SandboxCall[]): SandboxCall[] {
  for (const c of calls) {
    c.cdrReadyAt = c.endTime;
    c.insightsReadyAt = c.endTime;
  }
  return calls;
}

/**
 * The incidents that draw from the window's one stream, shuffled and evenly spaced, as the
 * demo's first incidents always have (so their calls, and what was measured on them, stay put):
 * the first 13 alerting, 8 quiet and 2 malformed ones. A new incident goes at the end of its
 * list: it then draws from a stream of its own, seeded by its name, and ends at a time of its
 * own, so adding an incident changes no other call.
 */
const SHARED_STREAM: ReadonlySet<IncidentKind> = new Set<IncidentKind>([
  ...ALERTING_INCIDENTS.slice(0, 13),
  ...QUIET_INCIDENTS.slice(0, 8),
  ...MALFORMED_INCIDENTS.slice(0, 2),
]);

export function generateTraffic(options: TrafficOptions): SandboxCall[] {
  const trunks = options.trunks ?? DEFAULT_TRUNKS;
  if (trunks.length === 0) throw new Error('generateTraffic: at least one trunk is needed');
  const rng = new Rng(
    mixSeed(options.seed, options.from.getTime(), options.to.getTime(), options.callsPerMinute),
  );
  const pickVariant = (): PayloadVariant =>
    options.variants && options.variants.length > 0
      ? rng.pick(options.variants)
      : rng.weighted(DEFAULT_VARIANT_WEIGHTS);

  // Whole seconds, as Plivo renders them; every end time lies in [from, to).
  const fromSec = Math.ceil(options.from.getTime() / 1000);
  const toSec = Math.ceil(options.to.getTime() / 1000);
  const spanSec = toSec - fromSec;
  if (spanSec <= 0) return [];

  const calls: SandboxCall[] = [];
  const healthyCount = Math.max(0, Math.round((spanSec / 60) * options.callsPerMinute));
  for (let i = 0; i < healthyCount; i += 1) {
    const call = baseCall(rng, trunks, fromSec + rng.int(0, spanSec - 1), {});
    call.variant = pickVariant();
    calls.push(call);
  }

  const incidents =
    options.incidents === undefined || options.incidents === 'all'
      ? INCIDENT_KINDS
      : options.incidents === 'none'
        ? []
        : options.incidents;
  // Shuffled, then evenly spaced: incidents do not all cluster at one end of the window.
  const order = incidents.filter((kind) => SHARED_STREAM.has(kind));
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j] as IncidentKind, order[i] as IncidentKind];
  }
  const incident = (kind: IncidentKind, from: Rng, endSec: number, variant: () => PayloadVariant) => {
    const spec = INCIDENTS[kind];
    const call = baseCall(from, trunks, endSec, spec.shape);
    spec.apply(call, from);
    call.scenario = kind;
    call.variant = spec.variant ?? variant();
    calls.push(call);
  };
  order.forEach((kind, i) => {
    incident(
      kind,
      rng,
      fromSec + Math.min(spanSec - 1, Math.floor(((i + 0.5) * spanSec) / order.length)),
      pickVariant,
    );
  });
  for (const kind of incidents.filter((k) => !SHARED_STREAM.has(k))) {
    const own = new Rng(mixSeed(options.seed, options.from.getTime(), options.to.getTime(), kind));
    incident(kind, own, fromSec + own.int(0, spanSec - 1), () => own.weighted(DEFAULT_VARIANT_WEIGHTS));
  }

  for (const call of calls) call.expectedAlerts = expectedAlertsFor(call);
  return calls.sort(
    (a, b) => a.endTime.getTime() - b.endTime.getTime() || a.callUuid.localeCompare(b.callUuid),
  );
}

/** Where clock-independent traffic is generated before it is moved to the real window. */
const ANCHOR_MS = Date.parse('2026-01-01T00:00:00Z');

/** The calls moved in time by `offsetMs` (whole seconds, as Plivo's times are). */
function shifted(calls: SandboxCall[], offsetMs: number): SandboxCall[] {
  const move = (date: Date) => new Date(date.getTime() + offsetMs);
  for (const c of calls) {
    c.initiationTime = move(c.initiationTime);
    c.answerTime = c.answerTime && move(c.answerTime);
    c.endTime = move(c.endTime);
    c.cdrReadyAt = move(c.cdrReadyAt);
    c.insightsReadyAt = c.insightsReadyAt && move(c.insightsReadyAt);
  }
  return calls;
}

/**
 * generateTraffic, except that the calls depend on the seed and the window's length only, not
 * on where the window lies in time: the same seed gives the same calls (same UUIDs, same
 * incidents, same offsets from the window's end) whenever it is run. `npm start` uses it so
 * that two runs, before and after tuning a threshold, see the same traffic.
 */
export function seededTraffic(options: TrafficOptions): SandboxCall[] {
  const toSec = Math.ceil(options.to.getTime() / 1000);
  const spanMs = toSec * 1000 - Math.ceil(options.from.getTime() / 1000) * 1000;
  const calls = generateTraffic({
    ...options,
    from: new Date(ANCHOR_MS - spanMs),
    to: new Date(ANCHOR_MS),
  });
  return shifted(calls, toSec * 1000 - ANCHOR_MS);
}

/**
 * The default set for `npm start`: two hours of healthy traffic at 2 calls/minute, with every
 * incident placed 50 to 12 minutes ago — inside the poller's default 60-minute first look-back,
 * and old enough that their insights are ready (except the deliberately late ones). The last
 * 12 minutes are healthy calls, some of whose insights are still pending. The same `seed` gives
 * the same calls at every `now` (only their times move with it).
 */
export function demoTraffic(now: Date, seed = 1): SandboxCall[] {
  const anchor = new Date(ANCHOR_MS);
  const at = (minutesAgo: number) => new Date(ANCHOR_MS - minutesAgo * 60_000);
  const base = seed * 1000;
  const calls = [
    ...generateTraffic({ seed: base + 1, from: at(120), to: at(50), callsPerMinute: 2, incidents: 'none' }),
    ...generateTraffic({ seed: base + 2, from: at(50), to: at(12), callsPerMinute: 2, incidents: 'all' }),
    ...generateTraffic({ seed: base + 3, from: at(12), to: anchor, callsPerMinute: 2, incidents: 'none' }),
  ];
  // Whole seconds back from now, so every call still ends before it.
  return shifted(calls, Math.floor((now.getTime() - ANCHOR_MS) / 1000) * 1000);
}

/** Rules judged on the CDR alone; the others need the call's insights. */
export const CDR_RULES: ReadonlySet<string> = new Set(
  CALL_RULES.filter((rule) => !rule.needsInsights).map((rule) => rule.id),
);

/**
 * The alert keys these calls can have produced by `now` under the default config: CDRs listed
 * by then, insight rules only once the call's insights exist.
 */
export function expectedKeysAt(calls: readonly SandboxCall[], now: Date): string[] {
  return calls
    .filter((c) => c.cdrReadyAt <= now)
    .flatMap((c) =>
      c.expectedAlerts
        .filter((rule) => CDR_RULES.has(rule) || (c.insightsReadyAt !== null && c.insightsReadyAt <= now))
        .map((rule) => `zentrunk-alerts:${rule}#${c.callUuid}`),
    )
    .sort();
}
