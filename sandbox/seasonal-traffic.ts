/**
 * Seasonal demo traffic for the Plivo sandbox: calls whose volume follows a week's rhythm per
 * trunk and direction (a business-hours peak, a night trough, quieter weekends, in each trunk's
 * own time zone), with injected volume and spend events and a manifest of them, for the rules
 * that judge volume and spend against a learned weekly baseline (issue #17) and their backtests.
 *
 * Arrivals are a Poisson process whose rate varies in time (Lewis–Shedler thinning), drawn per
 * trunk, direction and UTC hour from a stream seeded by (seed, trunk, direction, hour): the same
 * seed gives the same calls at the same instants whatever window is asked for, so a window can
 * be extended later (npm start adds the minutes since its last run) without a gap or a repeat.
 * The calls are the same healthy calls as generateTraffic's (baseCall): complete SandboxCalls
 * that trip no per-call rule. Same arguments, same calls: no Math.random, no clock reads.
 */
import {
  baseCall,
  CARRIERS,
  type Country,
  DEFAULT_TRUNKS,
  expectedAlertsFor,
  mixSeed,
  type PayloadVariant,
  phoneNumber,
  RATES,
  Rng,
  type SandboxCall,
  type SandboxTrunk,
} from './traffic';

export type Direction = 'inbound' | 'outbound';

export type SeasonalEventKind = 'trunk-stop' | 'traffic-drop' | 'slow-decline' | 'premium-rate-burst';

/** The rules of issue #17 the events are there for (named as the issue names them; not written yet). */
export type VolumeRuleName = 'traffic-drop' | 'traffic-surge' | 'spend' | 'new-destination';

export interface SeasonalTrunk extends SandboxTrunk {
  /** The trunk's local time (fixed: no daylight saving time), what its weekly rhythm follows. */
  utcOffsetMinutes: number;
  /** Calls per minute at the week's peak (weekday business hours), per direction. */
  peakCallsPerMinute: Record<Direction, number>;
}

const trunkOf = (domain: string): SandboxTrunk => {
  const trunk = DEFAULT_TRUNKS.find((t) => t.domain === domain);
  if (!trunk) throw new Error(`no default trunk ${domain}`);
  return trunk;
};

/**
 * generateTraffic's three trunks with a time zone and a size each: a US business trunk that
 * mostly dials out, and two smaller ones in London and Mumbai. Over 14 days they make about
 * 115,000 calls (about 950 bytes each in memory).
 */
export const SEASONAL_TRUNKS: readonly SeasonalTrunk[] = [
  {
    ...trunkOf('acme.zt.plivo.com'),
    utcOffsetMinutes: -5 * 60,
    peakCallsPerMinute: { outbound: 6, inbound: 2.5 },
  },
  {
    ...trunkOf('globex.zt.plivo.com'),
    utcOffsetMinutes: 0,
    peakCallsPerMinute: { outbound: 2.5, inbound: 1.2 },
  },
  {
    ...trunkOf('initech.ap-south-1.zt.plivo.com'),
    utcOffsetMinutes: 5 * 60 + 30,
    peakCallsPerMinute: { outbound: 2.5, inbound: 1 },
  },
];

// ---------------------------------------------------------------------------------------------
// The weekly profile

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/**
 * The share of the peak rate at each local hour 0..24 (linear in between). Midnight is 0.05 on
 * both, so days join without a step. A weekday peaks 10:00–11:00 and 14:00, dips at lunch and
 * is at 3–5 % of the peak at night; a weekend day stays below a quarter of it.
 */
// prettier-ignore
const WEEKDAY_PROFILE = [
  0.05, 0.04, 0.03, 0.03, 0.03, 0.04, 0.08, 0.25, 0.6, 0.9, 1, 1, 0.85,
  0.9, 1, 0.95, 0.85, 0.6, 0.35, 0.22, 0.15, 0.1, 0.08, 0.06, 0.05,
];
// prettier-ignore
const WEEKEND_PROFILE = [
  0.05, 0.04, 0.03, 0.03, 0.03, 0.03, 0.04, 0.06, 0.1, 0.15, 0.2, 0.22, 0.22,
  0.22, 0.2, 0.18, 0.16, 0.14, 0.12, 0.1, 0.08, 0.07, 0.06, 0.05, 0.05,
];

/** The share of its peak a trunk runs at, at this local time (milliseconds, as if UTC). */
export function weeklyProfile(localMs: number): number {
  const day = new Date(localMs).getUTCDay();
  const table = day === 0 || day === 6 ? WEEKEND_PROFILE : WEEKDAY_PROFILE;
  const hours = (((localMs % DAY) + DAY) % DAY) / HOUR;
  const h = Math.floor(hours);
  const a = table[h] as number;
  const b = table[h + 1] as number;
  return a + (b - a) * (hours - h);
}

const localMs = (trunk: SeasonalTrunk, ms: number) => ms + trunk.utcOffsetMinutes * MINUTE;

/** A lognormal factor with mean 1 (sigma: its spread), from its own stream. */
function noise(seed: number, sigma: number): number {
  const z = new Rng(seed).normal();
  return Math.exp(sigma * z - (sigma * sigma) / 2);
}

/** Day-to-day (8 %) and hour-to-hour (5 %) noise on the profile: what a learned baseline must absorb. */
const DAY_NOISE = 0.08;
const HOUR_NOISE = 0.05;

/**
 * The rate (calls per minute) each trunk and direction runs at: peak × weekly profile × noise
 * of its local day × noise of its UTC hour. The noise is drawn per day and hour from the seed,
 * so it is part of what "normal" is here: the manifest's expected calls include it.
 */
class RateModel {
  private readonly noiseCache = new Map<string, number>();
  constructor(
    private readonly seed: number,
    private readonly scale: number,
  ) {}

  private noiseOf(kind: 'day' | 'hour', trunk: SeasonalTrunk, direction: Direction, index: number): number {
    const key = `${kind}|${trunk.id}|${direction}|${index}`;
    let value = this.noiseCache.get(key);
    if (value === undefined) {
      value = noise(
        mixSeed(this.seed, 'seasonal-noise', kind, trunk.id, direction, index),
        kind === 'day' ? DAY_NOISE : HOUR_NOISE,
      );
      this.noiseCache.set(key, value);
    }
    return value;
  }

  /** Calls per minute at `ms` (UTC), without events. */
  perMinute(trunk: SeasonalTrunk, direction: Direction, ms: number): number {
    const local = localMs(trunk, ms);
    return (
      trunk.peakCallsPerMinute[direction] *
      this.scale *
      weeklyProfile(local) *
      this.noiseOf('day', trunk, direction, Math.floor(local / DAY)) *
      this.noiseOf('hour', trunk, direction, Math.floor(ms / HOUR))
    );
  }

  /** The highest rate in the UTC hour starting at `hourMs`: the rate is linear between local hours and noise steps. */
  maxInHour(trunk: SeasonalTrunk, direction: Direction, hourMs: number): number {
    const offset = ((trunk.utcOffsetMinutes * MINUTE) % HOUR) + HOUR;
    const knot = hourMs + ((HOUR - ((hourMs + offset) % HOUR)) % HOUR);
    const points = [hourMs, hourMs + HOUR - 1];
    if (knot > hourMs) points.push(knot - 1, knot);
    return Math.max(...points.map((ms) => this.perMinute(trunk, direction, ms)));
  }

  /** The calls expected with end times in [fromMs, toMs) (the rate integrated a minute at a time). */
  expected(trunk: SeasonalTrunk, direction: Direction, fromMs: number, toMs: number): number {
    let sum = 0;
    for (let t = fromMs; t < toMs; t += MINUTE) {
      const step = Math.min(MINUTE, toMs - t);
      sum += this.perMinute(trunk, direction, t + step / 2) * (step / MINUTE);
    }
    return sum;
  }
}

// ---------------------------------------------------------------------------------------------
// Events

/** An event to inject. Spans are of end times, as Plivo lists calls and the poller reads them. */
export interface SeasonalEventSpec {
  kind: SeasonalEventKind;
  /** The trunk's domain. */
  trunk: string;
  /** Default: 'both' for a stop, drop or decline; a burst is always outbound. */
  direction?: Direction | 'both';
  start: Date;
  end: Date;
  /**
   * trunk-stop: 0 (always). traffic-drop: the share of the expected calls left (default 0.3, a
   * 70 % drop). slow-decline: the share left at the end, falling linearly from 1 (default 0.4).
   */
  share?: number;
  /** premium-rate-burst: calls per minute (default 3), each answered and 1 to 30 minutes long. */
  callsPerMinute?: number;
}

/** What an injected event did, for tests and backtests to check detection against. */
export interface SeasonalEvent {
  kind: SeasonalEventKind;
  trunkDomain: string;
  trunkId: string;
  direction: Direction | 'both';
  /** The calls it touches end in [start, end). */
  start: Date;
  end: Date;
  /** One line: what happened and what the rules should see. */
  description: string;
  /**
   * The share of the expected calls left, at the start and at the end (linear in between):
   * 0 → 0 for a stop, 0.3 → 0.3 for a 70 % drop, 1 → 0.4 for the decline; null for a burst.
   */
  share: { atStart: number; atEnd: number } | null;
  /** The calls the weekly profile (its noise included) expects there without the event, on the trunk and direction(s). */
  expectedCalls: number;
  /** The calls there are: after the event (for a burst, its calls included). Only the part inside the window counts. */
  calls: number;
  /** A burst's calls: their destination, rate per minute and summed total_amount (USD). */
  burst: { country: Country; calls: number; ratePerMinute: number; totalAmount: number } | null;
  /** The rules of issue #17 that should catch it. */
  detectableBy: readonly VolumeRuleName[];
}

/** The burst's destination: São Tomé and Príncipe (+239), a small island state whose ranges are sold for revenue share. */
export const PREMIUM_RATE_COUNTRY: Country = 'ST';

const DETECTABLE_BY: Record<SeasonalEventKind, readonly VolumeRuleName[]> = {
  'trunk-stop': ['traffic-drop'],
  'traffic-drop': ['traffic-drop'],
  'slow-decline': ['traffic-drop'],
  'premium-rate-burst': ['traffic-surge', 'spend', 'new-destination'],
};

/** Local midnights (as UTC ms) of the weekdays that lie wholly in [fromMs, toMs) on the trunk's clock. */
function weekdayMidnights(trunk: SeasonalTrunk, fromMs: number, toMs: number): number[] {
  const offset = trunk.utcOffsetMinutes * MINUTE;
  const days: number[] = [];
  for (let local = Math.ceil((fromMs + offset) / DAY) * DAY; local + DAY <= toMs + offset; local += DAY) {
    const day = new Date(local).getUTCDay();
    if (day !== 0 && day !== 6) days.push(local - offset);
  }
  return days;
}

/**
 * The four events of the demo, all in the window's last 7 days (after a clean week to learn
 * from), on whole local weekdays of their trunks, in this order:
 *   1. the first trunk stops for 30 minutes at 09:30 local on the first such weekday;
 *   2. the second trunk drops by 70 % for an hour at 14:00 local on the second;
 *   3. the third trunk declines over the whole third weekday (local), linearly to 40 %;
 *   4. the first trunk dials São Tomé 3 times a minute, 02:00–02:45 local, on the fourth weekday's night.
 * Seven days hold at least 4 whole weekdays on any clock. With fewer trunks they take turns.
 */
export function defaultSeasonalEvents(
  from: Date,
  to: Date,
  trunks: readonly SeasonalTrunk[] = SEASONAL_TRUNKS,
): SeasonalEventSpec[] {
  if (to.getTime() - from.getTime() < 2 * WEEK) {
    throw new RangeError(
      'seasonalTraffic: the default events need a window of at least 14 days (a week to learn from, then the events); ' +
        "give events: 'none' or your own",
    );
  }
  const trunk = (i: number) => trunks[i % trunks.length] as SeasonalTrunk;
  const day = (i: number, which: number) => {
    const days = weekdayMidnights(trunk(i), to.getTime() - WEEK, to.getTime());
    const midnight = days[which];
    if (midnight === undefined) throw new Error('defaultSeasonalEvents: fewer than 4 weekdays in a week');
    return midnight;
  };
  const at = (ms: number, minutes: number) => new Date(ms + minutes * MINUTE);
  const stop = day(0, 0);
  const drop = day(1, 1);
  const decline = day(2, 2);
  const burst = day(0, 3);
  return [
    { kind: 'trunk-stop', trunk: trunk(0).domain, start: at(stop, 9.5 * 60), end: at(stop, 10 * 60) },
    {
      kind: 'traffic-drop',
      trunk: trunk(1).domain,
      start: at(drop, 14 * 60),
      end: at(drop, 15 * 60),
      share: 0.3,
    },
    {
      kind: 'slow-decline',
      trunk: trunk(2).domain,
      start: at(decline, 0),
      end: at(decline, 24 * 60),
      share: 0.4,
    },
    {
      kind: 'premium-rate-burst',
      trunk: trunk(0).domain,
      start: at(burst, 2 * 60),
      end: at(burst, 2 * 60 + 45),
      callsPerMinute: 3,
    },
  ];
}

interface ResolvedEvent {
  kind: SeasonalEventKind;
  trunk: SeasonalTrunk;
  directions: readonly Direction[];
  direction: Direction | 'both';
  startMs: number;
  endMs: number;
  atStart: number;
  atEnd: number;
  callsPerMinute: number;
}

function resolveEvent(spec: SeasonalEventSpec, trunks: readonly SeasonalTrunk[]): ResolvedEvent {
  const trunk = trunks.find((t) => t.domain === spec.trunk);
  if (!trunk) throw new Error(`seasonalTraffic: event ${spec.kind} on unknown trunk ${spec.trunk}`);
  const startMs = spec.start.getTime();
  const endMs = spec.end.getTime();
  if (!(endMs > startMs)) throw new Error(`seasonalTraffic: event ${spec.kind} must end after it starts`);
  const burst = spec.kind === 'premium-rate-burst';
  if (burst && spec.direction !== undefined && spec.direction !== 'outbound') {
    throw new Error('seasonalTraffic: a premium-rate burst is of outbound calls');
  }
  const direction = burst ? 'outbound' : (spec.direction ?? 'both');
  const share = spec.kind === 'trunk-stop' ? 0 : (spec.share ?? (spec.kind === 'traffic-drop' ? 0.3 : 0.4));
  if (!(share >= 0 && share <= 1)) throw new Error(`seasonalTraffic: share must lie in [0, 1], got ${share}`);
  const callsPerMinute = spec.callsPerMinute ?? 3;
  if (!(callsPerMinute > 0)) throw new Error('seasonalTraffic: a burst needs callsPerMinute > 0');
  return {
    kind: spec.kind,
    trunk,
    direction,
    directions: direction === 'both' ? ['outbound', 'inbound'] : [direction],
    startMs,
    endMs,
    atStart: spec.kind === 'slow-decline' ? 1 : share,
    atEnd: share,
    callsPerMinute,
  };
}

/** The share of a call's expected traffic the events leave at its end time (0: removed). */
function shareLeft(call: SandboxCall, events: readonly ResolvedEvent[]): number {
  let share = 1;
  const end = call.endTime.getTime();
  for (const e of events) {
    if (e.kind === 'premium-rate-burst' || e.trunk.id !== call.trunkId) continue;
    if (!e.directions.includes(call.direction)) continue;
    const inSpan = (ms: number) => ms >= e.startMs && ms < e.endMs;
    // A stopped trunk neither ends nor starts calls in its span.
    if (e.kind === 'trunk-stop' && (inSpan(end) || inSpan(call.initiationTime.getTime()))) return 0;
    if (inSpan(end)) share *= e.atStart + ((e.atEnd - e.atStart) * (end - e.startMs)) / (e.endMs - e.startMs);
  }
  return share;
}

const round = (value: number, decimals: number) => Number(value.toFixed(decimals));

/** A call of the burst: answered, long (median 6 min), to a São Tomé number at its premium rate. */
function premiumRateCall(rng: Rng, trunk: SeasonalTrunk, endSec: number): SandboxCall {
  const call = baseCall(rng, [trunk], endSec, { direction: 'outbound', answered: true, international: true });
  const ringSec = ((call.answerTime as Date).getTime() - call.initiationTime.getTime()) / 1000;
  const durationSec = Math.min(1800, Math.max(60, Math.round(360 * Math.exp(0.6 * rng.normal()))));
  call.toCountry = PREMIUM_RATE_COUNTRY;
  call.toNumber = phoneNumber(rng, PREMIUM_RATE_COUNTRY);
  call.toCarrier = rng.pick(CARRIERS[PREMIUM_RATE_COUNTRY]);
  call.durationSec = durationSec;
  call.answerTime = new Date((endSec - durationSec) * 1000);
  call.initiationTime = new Date((endSec - durationSec - ringSec) * 1000);
  call.billDurationSec = Math.ceil(durationSec / 60) * 60;
  call.billedDurationSec = call.billDurationSec;
  call.ratePerMinute = RATES[PREMIUM_RATE_COUNTRY];
  call.totalAmount = round((call.ratePerMinute * call.billDurationSec) / 60, 5);
  call.scenario = 'premium-rate-burst';
  return call;
}

// ---------------------------------------------------------------------------------------------
// Traffic

export interface SeasonalTrafficOptions {
  seed: number;
  /** Calls end in [from, to). */
  from: Date;
  to: Date;
  trunks?: readonly SeasonalTrunk[];
  /** Default 'default': defaultSeasonalEvents(from, to), which needs 14 days or more. */
  events?: 'default' | 'none' | readonly SeasonalEventSpec[];
  /** Variants calls are rendered in, picked uniformly. Default: 8 in 10 current, 2 current-production (rates and amounts as decimal strings). */
  variants?: readonly PayloadVariant[];
  /** Multiplies every trunk's rate (default 1). */
  scale?: number;
}

export interface SeasonalTraffic {
  /** Sorted by end time (then UUID). */
  calls: SandboxCall[];
  /** The injected events, in the order given. */
  events: SeasonalEvent[];
  /** The calls the weekly profile (noise included, events not) expects with end times in [from, to). */
  expectedCalls(trunkDomain: string, direction: Direction, from: Date, to: Date): number;
}

const DEFAULT_VARIANTS: ReadonlyArray<readonly [PayloadVariant, number]> = [
  ['current', 8],
  ['current-production', 2],
];

/**
 * V8 keeps a string built by concatenation (a UUID from its hex digits, a number from its
 * parts) as a tree of them; a flat copy makes a call take about 950 bytes instead of 1,670.
 */
const flat = (s: string) => s.normalize();

/** The calls of [from, to): the weekly rhythm of each trunk and direction, then the events. */
export function seasonalTraffic(options: SeasonalTrafficOptions): SeasonalTraffic {
  const trunks = options.trunks ?? SEASONAL_TRUNKS;
  if (trunks.length === 0) throw new Error('seasonalTraffic: at least one trunk is needed');
  const scale = options.scale ?? 1;
  if (!(scale >= 0)) throw new Error(`seasonalTraffic: scale must be >= 0, got ${scale}`);
  const fromMs = options.from.getTime();
  const toMs = options.to.getTime();
  const model = new RateModel(options.seed, scale);
  const specs =
    options.events === undefined || options.events === 'default'
      ? defaultSeasonalEvents(options.from, options.to, trunks)
      : options.events === 'none'
        ? []
        : options.events;
  const events = specs.map((spec) => resolveEvent(spec, trunks));
  const pickVariant = (rng: Rng): PayloadVariant =>
    options.variants && options.variants.length > 0
      ? rng.pick(options.variants)
      : rng.weighted(DEFAULT_VARIANTS);
  const inWindow = (c: SandboxCall) => c.endTime.getTime() >= fromMs && c.endTime.getTime() < toMs;
  const finish = (c: SandboxCall, rng: Rng) => {
    c.variant = pickVariant(rng);
    c.callUuid = flat(c.callUuid);
    c.sipCallId = flat(c.sipCallId);
    c.fromNumber = flat(c.fromNumber);
    c.toNumber = flat(c.toNumber);
  };

  const calls: SandboxCall[] = [];
  if (toMs > fromMs) {
    // Whole UTC hours, each drawn in full (so that a call does not depend on the window), then cut to it.
    for (let hour = Math.floor(fromMs / HOUR); hour * HOUR < toMs; hour += 1) {
      const hourMs = hour * HOUR;
      for (const trunk of trunks) {
        for (const direction of ['outbound', 'inbound'] as const) {
          const max = model.maxInHour(trunk, direction, hourMs);
          if (!(max > 0)) continue;
          const rng = new Rng(mixSeed(options.seed, 'seasonal', trunk.id, direction, hour));
          for (let t = hourMs; ;) {
            t += (-Math.log(1 - rng.float()) / max) * MINUTE;
            if (t >= hourMs + HOUR) break;
            if (rng.float() * max >= model.perMinute(trunk, direction, t)) continue;
            const call = baseCall(rng, [trunk], Math.floor(t / 1000), { direction });
            finish(call, rng);
            if (!inWindow(call)) continue;
            const share = events.length === 0 ? 1 : shareLeft(call, events);
            // The same draw for a call whatever the events: a drop keeps a subset of the calls.
            if (share < 1 && mixSeed(options.seed, 'keep', call.callUuid) / 2 ** 32 >= share) continue;
            calls.push(call);
          }
        }
      }
    }
    for (const e of events.filter((x) => x.kind === 'premium-rate-burst')) {
      const rng = new Rng(mixSeed(options.seed, 'burst', e.trunk.id, e.startMs, e.endMs));
      for (let t = e.startMs; ;) {
        t += (-Math.log(1 - rng.float()) / e.callsPerMinute) * MINUTE;
        if (t >= e.endMs) break;
        const call = premiumRateCall(rng, e.trunk, Math.floor(t / 1000));
        finish(call, rng);
        if (inWindow(call)) calls.push(call);
      }
    }
  }
  for (const call of calls) call.expectedAlerts = expectedAlertsFor(call);
  calls.sort((a, b) => a.endTime.getTime() - b.endTime.getTime() || a.callUuid.localeCompare(b.callUuid));

  const expectedCalls = (trunkDomain: string, direction: Direction, from: Date, to: Date) => {
    const trunk = trunks.find((t) => t.domain === trunkDomain);
    if (!trunk) throw new Error(`seasonalTraffic: unknown trunk ${trunkDomain}`);
    return model.expected(trunk, direction, from.getTime(), to.getTime());
  };
  return {
    calls,
    events: events.map((e) => manifestOf(e, calls, (d) => model.expected(e.trunk, d, e.startMs, e.endMs))),
    expectedCalls,
  };
}

function manifestOf(
  e: ResolvedEvent,
  calls: readonly SandboxCall[],
  expected: (direction: Direction) => number,
): SeasonalEvent {
  const touched = calls.filter(
    (c) =>
      c.trunkId === e.trunk.id &&
      e.directions.includes(c.direction) &&
      c.endTime.getTime() >= e.startMs &&
      c.endTime.getTime() < e.endMs,
  );
  const burstCalls = touched.filter((c) => c.scenario === 'premium-rate-burst');
  const expectedCalls = round(
    e.directions.reduce((sum, d) => sum + expected(d), 0),
    1,
  );
  const minutes = Math.round((e.endMs - e.startMs) / MINUTE);
  const span = minutes >= 120 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
  const where = `${e.trunk.domain} (${e.direction === 'both' ? 'both directions' : e.direction})`;
  const description = {
    'trunk-stop': `${where} stops for ${span}: no call ends or starts`,
    'traffic-drop': `${where} drops to ${Math.round(e.atEnd * 100)} % of its expected calls for ${span}`,
    'slow-decline': `${where} declines over ${span}, linearly from ${Math.round(e.atStart * 100)} % to ${Math.round(e.atEnd * 100)} % of its expected calls`,
    'premium-rate-burst': `${where} dials ${PREMIUM_RATE_COUNTRY} (never called before) ${e.callsPerMinute} times a minute for ${span} at $${RATES[PREMIUM_RATE_COUNTRY]}/min`,
  }[e.kind];
  return {
    kind: e.kind,
    trunkDomain: e.trunk.domain,
    trunkId: e.trunk.id,
    direction: e.direction,
    start: new Date(e.startMs),
    end: new Date(e.endMs),
    description,
    share: e.kind === 'premium-rate-burst' ? null : { atStart: e.atStart, atEnd: e.atEnd },
    expectedCalls,
    calls: touched.length,
    burst:
      e.kind === 'premium-rate-burst'
        ? {
            country: PREMIUM_RATE_COUNTRY,
            calls: burstCalls.length,
            ratePerMinute: RATES[PREMIUM_RATE_COUNTRY],
            totalAmount: round(
              burstCalls.reduce((sum, c) => sum + c.totalAmount, 0),
              2,
            ),
          }
        : null,
    detectableBy: DETECTABLE_BY[e.kind],
  };
}

/** How many days of seasonal history the demo (npm start, the CLI) serves. */
export const SEASONAL_DEMO_DAYS = 14;

/**
 * The seasonal demo: the 14 days up to `now` (whole seconds) with the default events. The same
 * seed gives the same calls at the same instants; the events move with `now` (they lie in its
 * last 7 days).
 */
export function seasonalDemo(now: Date, seed = 1): SeasonalTraffic {
  const to = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return seasonalTraffic({ seed, from: new Date(to.getTime() - SEASONAL_DEMO_DAYS * DAY), to });
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** The events for people, one line each: when (UTC and the trunk's local time), what, and what is there. */
export function describeSeasonalEvents(
  events: readonly SeasonalEvent[],
  trunks: readonly SeasonalTrunk[] = SEASONAL_TRUNKS,
): string[] {
  return events.map((e) => {
    const start = e.start.toISOString().replace('T', ' ').slice(0, 16);
    const end = e.end.toISOString().replace('T', ' ').slice(0, 16);
    const span = `${start} -> ${end.slice(0, 10) === start.slice(0, 10) ? end.slice(11) : end} UTC`;
    const trunk = trunks.find((t) => t.domain === e.trunkDomain);
    const local = trunk ? new Date(localMs(trunk, e.start.getTime())) : null;
    const when = local ? ` (${WEEKDAYS[local.getUTCDay()]} ${local.toISOString().slice(11, 16)} local)` : '';
    const seen = e.burst
      ? `${count(e.burst.calls)} calls to ${e.burst.country}, $${e.burst.totalAmount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
      : `${count(e.calls)} calls, ${count(e.expectedCalls)} expected`;
    return `${span}${when} ${e.kind}: ${e.description}; ${seen}`;
  });
}
