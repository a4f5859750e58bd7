import type { Call } from '../call';
import { labelsOf } from '../dimensions';
import type { TrafficRuleId } from './traffic-config';

/**
 * The traffic baseline: what a trunk (and the whole account) normally does, learnt from the
 * calls the poller lists anyway (no Plivo request of its own), by call END time, so that a
 * backlog worked off late, a backtest and live runs count the same call in the same bucket.
 *
 * Two items per trunk in the state table, so that the one written every run stays small:
 *  - hot (written by the runs that count calls or change an incident, < 1 KB): 5-minute buckets
 *    not yet folded and the longest window a rule reads (inbound, outbound, spend), the countries called
 *    since the last fold, destinations new to the trunk, the rules' incidents, and (account item
 *    only) how late calls are listed;
 *  - profile (written once an hour, ~3 KB): per hour of the week, an average over the weeks seen
 *    of each count (weekly seasonality); a short-term average of the last hours (used before a
 *    week exists); the countries called in the last days.
 */

export const BUCKET_MS = 5 * 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const WEEK_HOURS = 168;
/** The key of the account-wide item (a trunk's is its domain, or id when Plivo sends no domain). */
export const ACCOUNT_KEY = '*';
/** How long a country called for the first time stays new while it is still being called. */
export const NOVEL_HOLD_MS = 7 * DAY_MS;
/** Hours of history before the short-term average is used. */
export const MIN_RECENT_HOURS = 3;
/** How fast the short-term average forgets: half of it in this many hours. */
const RECENT_HALF_LIFE_HOURS = 2;
/** How fast an hour of the week's average follows new weeks: at least this weight for the newest. */
const WEEKLY_MIN_WEIGHT = 0.25;

/** 'other': calls whose CDR names no direction (counted, so that they are not read as a drop). */
export type TrafficMetric = 'inbound' | 'outbound' | 'spend' | 'other';
export const METRICS: readonly TrafficMetric[] = ['inbound', 'outbound', 'spend', 'other'];

export interface TrafficBucket {
  startMs: number;
  inbound: number;
  outbound: number;
  /** USD of the outbound calls (total_amount). */
  spend: number;
  /** Calls without a direction. */
  other: number;
}

/** Outbound calls to a country the trunk had not called within the lookback. */
export interface NovelDestination {
  calls: number;
  spend: number;
  firstMs: number;
  lastMs: number;
  /** Up to 3 numbers called, for the alert (masked when it is rendered, as configured). */
  numbers: string[];
}

/** A traffic rule's incident for one trunk: firing, at most one update, resolved. */
export interface TrafficIncident {
  firing: boolean;
  since: string | null;
  episode: number;
  /** Notices sent in this episode (the firing, the update). */
  notices: number;
  updates: number;
  /** When the rule began to breach without a break (ISO; null: it does not), for forMinutes. */
  breachSince?: string | null;
  /** The value that fired, or the worst since (what an update is judged against). */
  peak: number | null;
  lastNotifiedAt: string | null;
}

export interface TrafficHot {
  kind: 'hot';
  id: string;
  key: string;
  labels: Record<string, string>;
  buckets: TrafficBucket[];
  /** Outbound countries called since the last fold: country -> its earliest call's end time (ms). */
  seen: Record<string, number>;
  novel: Record<string, NovelDestination>;
  /**
   * Countries a new-destination incident fired on: country -> until when (ms) they are not
   * learnt as known (lookbackDays), so that the same campaign returning a night later pages again.
   */
  flagged?: Record<string, number>;
  /** The latest end time counted (ms). */
  lastCallMs: number | null;
  /**
   * Where the trunk's history will start (the first whole hour after its first call), until its
   * profile is written at the first fold: a first run writes no profile of a trunk.
   */
  historyFromMs?: number;
  /** Account item: how old calls were when first listed (decaying counts per LATENESS_EDGES_S bin). */
  lateness?: number[];
  latenessAtMs?: number;
  /**
   * Account item: the oldest a call was when first listed in the last RECENT_LATE_MS, and when:
   * a lag that starts now (Plivo writing CDRs late for an hour) moves the settle time at once,
   * where the day of ages behind the 99th percentile would take an hour to.
   */
  recentLateMs?: number;
  recentLateAtMs?: number;
  incidents: Partial<Record<TrafficRuleId, TrafficIncident>>;
  version: number;
}

export interface TrafficProfile {
  kind: 'profile';
  id: string;
  key: string;
  /** History starts here (a whole hour: the first hour counted whole). */
  firstMs: number;
  /** Every hour before this is folded into the averages. */
  foldedToMs: number;
  /** Per hour of the week (0 = Sunday 00:00 UTC), the average count of the weeks seen. */
  weekly: Record<TrafficMetric, number[]>;
  weeks: number[];
  /** Short-term average of the last hours' counts, per hour. */
  recent: Record<TrafficMetric, number>;
  recentHours: number;
  /** Countries the trunk called: country -> the latest day (ms, UTC midnight). */
  known: Record<string, number>;
  /**
   * Hours of the week last folded while an incident about them fired (not learnt then). The
   * same hour breaching again a week later is the new normal (an office that opens an hour
   * later after a clock change, a weekly maintenance window): then it is learnt at once.
   */
  breached?: number[];
  /** The latest end time counted, as of the last fold: the hot item's, kept with the item that outlives it. */
  lastCallMs?: number;
  version: number;
}

/** How a traffic item is kept in the state table: the numbers packed into strings (compact). */
export type StoredTraffic = { id: string; version: number; kind: 'hot' | 'profile' } & Record<
  string,
  unknown
>;

/** An incident that never fired (what a rule's incident is until it does). */
export const quietIncident = (): TrafficIncident => ({
  firing: false,
  since: null,
  episode: 0,
  notices: 0,
  updates: 0,
  peak: null,
  lastNotifiedAt: null,
});

export const hotId = (key: string) => `hot:${key}`;
export const profileId = (key: string) => `profile:${key}`;

/** The trunk key of a call (its domain, or its id when Plivo sends no domain). */
export function trunkKeyOf(call: Call): string {
  return labelsOf(call, null, ['trunk_domain']).trunk_domain as string;
}

export const labelsOfKey = (key: string): Record<string, string> =>
  key === ACCOUNT_KEY ? {} : { trunk_domain: key };

export function emptyHot(key: string): TrafficHot {
  return {
    kind: 'hot',
    id: hotId(key),
    key,
    labels: labelsOfKey(key),
    buckets: [],
    seen: {},
    novel: {},
    lastCallMs: null,
    incidents: {},
    version: 0,
  };
}

export function emptyProfile(key: string, firstMs: number): TrafficProfile {
  const zeros = () => new Array<number>(WEEK_HOURS).fill(0);
  return {
    kind: 'profile',
    id: profileId(key),
    key,
    firstMs,
    foldedToMs: firstMs,
    weekly: { inbound: zeros(), outbound: zeros(), spend: zeros(), other: zeros() },
    weeks: zeros(),
    recent: { inbound: 0, outbound: 0, spend: 0, other: 0 },
    recentHours: 0,
    known: {},
    version: 0,
  };
}

const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;
const round = (n: number, decimals: number) => Number(n.toFixed(decimals));

/**
 * Counts calls (first listed by this run) into a trunk's or the account's buckets. For a trunk,
 * outbound countries are noted, and calls to a country not called within `lookbackMs` (known
 * from the profile; `known` null: too little history for any country to be new) are kept as
 * new destinations.
 */
export function countInto(
  hot: TrafficHot,
  calls: readonly Call[],
  known: Readonly<Record<string, number>> | null,
  lookbackMs: number,
): TrafficHot {
  const buckets = new Map(hot.buckets.map((b) => [b.startMs, { ...b }]));
  const seen = { ...hot.seen };
  const novel = Object.fromEntries(
    Object.entries(hot.novel).map(([c, n]) => [c, { ...n, numbers: [...n.numbers] }]),
  );
  let lastCallMs = hot.lastCallMs;
  for (const call of calls) {
    const endMs = call.endTime === null ? Number.NaN : Date.parse(call.endTime);
    if (!Number.isFinite(endMs)) continue;
    const startMs = floorTo(endMs, BUCKET_MS);
    const bucket = buckets.get(startMs) ?? { startMs, inbound: 0, outbound: 0, spend: 0, other: 0 };
    lastCallMs = lastCallMs === null ? endMs : Math.max(lastCallMs, endMs);
    if (call.direction === 'inbound') bucket.inbound += 1;
    else if (call.direction === 'outbound') {
      bucket.outbound += 1;
      const amount = call.totalAmount !== null && Number.isFinite(call.totalAmount) ? call.totalAmount : 0;
      bucket.spend += Math.max(0, amount);
      const country = call.toCountry;
      if (hot.key !== ACCOUNT_KEY && country) {
        seen[country] = Math.min(seen[country] ?? Number.POSITIVE_INFINITY, endMs);
        const lastKnown = known?.[country];
        if (known !== null && (lastKnown === undefined || lastKnown < endMs - lookbackMs)) {
          const n = novel[country] ?? { calls: 0, spend: 0, firstMs: endMs, lastMs: endMs, numbers: [] };
          n.calls += 1;
          n.spend += Math.max(0, amount);
          n.firstMs = Math.min(n.firstMs, endMs);
          n.lastMs = Math.max(n.lastMs, endMs);
          if (call.toNumber && n.numbers.length < 3 && !n.numbers.includes(call.toNumber)) {
            n.numbers.push(call.toNumber);
          }
          novel[country] = n;
        }
      }
    } else bucket.other += 1;
    buckets.set(startMs, bucket);
  }
  return {
    ...hot,
    buckets: [...buckets.values()].sort((a, b) => a.startMs - b.startMs),
    seen,
    novel,
    lastCallMs,
  };
}

// ---------------------------------------------------------------------------------------------
// How late calls are listed, and the settle time it gives

/** Bins of a call's age when first listed (seconds, upper edges); the last bin is open. */
export const LATENESS_EDGES_S = [30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 3600];
/** The ages forget half their weight in a day. */
const LATENESS_HALF_LIFE_MS = DAY_MS;
/** Calls needed before the settle time is measured rather than taken at its maximum. */
export const MIN_LATENESS_SAMPLES = 100;

/** How long the oldest recent age holds the settle time up. */
export const RECENT_LATE_MS = 30 * 60_000;

/** Adds the ages (ms since the call ended, when this run first listed it) to the account item. */
export function observeLateness(hot: TrafficHot, agesMs: readonly number[], nowMs: number): TrafficHot {
  if (agesMs.length === 0) return hot;
  const oldest = agesMs.reduce((max, age) => (age > max ? age : max), 0);
  const recent = recentLateOf(hot, nowMs);
  const late = oldest >= recent ? { recentLateMs: oldest, recentLateAtMs: nowMs } : {};
  const decay =
    hot.latenessAtMs === undefined
      ? 1
      : 0.5 ** (Math.max(0, nowMs - hot.latenessAtMs) / LATENESS_HALF_LIFE_MS);
  const bins = Array.from(
    { length: LATENESS_EDGES_S.length + 1 },
    (_, i) => (hot.lateness?.[i] ?? 0) * decay,
  );
  for (const age of agesMs) {
    const sec = Math.max(0, age / 1000);
    const i = LATENESS_EDGES_S.findIndex((edge) => sec <= edge);
    const bin = i === -1 ? LATENESS_EDGES_S.length : i;
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  return { ...hot, ...late, lateness: bins.map((n) => round(n, 2)), latenessAtMs: nowMs };
}

/** The oldest age listed in the last RECENT_LATE_MS (0: none). */
function recentLateOf(hot: TrafficHot | undefined, nowMs: number): number {
  if (!hot || hot.recentLateMs === undefined || hot.recentLateAtMs === undefined) return 0;
  const sinceMs = nowMs - hot.recentLateAtMs;
  return sinceMs >= 0 && sinceMs <= RECENT_LATE_MS ? hot.recentLateMs : 0;
}

export interface Settle {
  ms: number;
  /** Measured from the calls' ages (false: too few calls yet, the maximum is used). */
  measured: boolean;
  samples: number;
}

/**
 * The settle time: the age by which 99 % of recent calls had been listed (the upper edge of
 * that bin), or the oldest age listed in the last 30 minutes if more (with `nowMs`), within
 * [minMinutes, maxMinutes]; the maximum until MIN_LATENESS_SAMPLES were seen.
 */
export function settleOf(
  account: TrafficHot | undefined,
  bounds: { minMinutes: number; maxMinutes: number },
  nowMs?: number,
): Settle {
  const bins = account?.lateness ?? [];
  const samples = bins.reduce((s, n) => s + n, 0);
  const clamp = (ms: number) =>
    Math.min(bounds.maxMinutes * 60_000, Math.max(bounds.minMinutes * 60_000, ms));
  if (samples < MIN_LATENESS_SAMPLES) return { ms: bounds.maxMinutes * 60_000, measured: false, samples };
  let cumulative = 0;
  for (const [i, n] of bins.entries()) {
    cumulative += n;
    if (cumulative >= 0.99 * samples) {
      const edge = LATENESS_EDGES_S[i];
      const p99 = edge === undefined ? Number.POSITIVE_INFINITY : edge * 1000;
      const recent = nowMs === undefined ? 0 : Math.ceil(recentLateOf(account, nowMs) / 60_000) * 60_000;
      return { ms: clamp(Math.max(p99, recent)), measured: true, samples };
    }
  }
  return { ms: bounds.maxMinutes * 60_000, measured: true, samples };
}

// ---------------------------------------------------------------------------------------------
// Folding settled hours into the averages

/** Hour of the week, 0 = Sunday 00:00–01:00 UTC. */
export const hourOfWeek = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCDay() * 24 + d.getUTCHours();
};

/** A trunk's counts in [fromMs, toMs), from its buckets (whole buckets whose start lies in it). */
export function countsIn(hot: TrafficHot, fromMs: number, toMs: number): Record<TrafficMetric, number> {
  const out = { inbound: 0, outbound: 0, spend: 0, other: 0 };
  for (const b of hot.buckets) {
    if (b.startMs < fromMs || b.startMs >= toMs) continue;
    out.inbound += b.inbound;
    out.outbound += b.outbound;
    out.spend += b.spend;
    out.other += b.other;
  }
  return out;
}

/**
 * Folds every whole hour before `edgeMs` (settled and read) not folded yet into the averages,
 * and the countries called into `known`. A metric not in `learn` (an incident about it is
 * firing on the trunk) is passed over, so that an outage or a fraud never becomes normal. Returns the profile, and whether it changed.
 */
export function fold(
  hot: TrafficHot,
  profile: TrafficProfile,
  edgeMs: number,
  learn: ReadonlySet<TrafficMetric> = new Set(METRICS),
  /** False while an incident about a held count has lasted over a day: an outage, not a new habit. */
  newHabits = true,
  /** True while new-destination fires on the trunk: its new countries are not learnt as known. */
  holdNovel = false,
): { hot: TrafficHot; profile: TrafficProfile; changed: boolean } {
  const until = floorTo(edgeMs, HOUR_MS);
  if (until <= profile.foldedToMs) return { hot, profile, changed: false };
  const next: TrafficProfile = {
    ...profile,
    weekly: {
      inbound: [...profile.weekly.inbound],
      outbound: [...profile.weekly.outbound],
      spend: [...profile.weekly.spend],
      other: [...profile.weekly.other],
    },
    weeks: [...profile.weeks],
    recent: { ...profile.recent },
    known: { ...profile.known },
  };
  // A long gap (a poller down for days) folds at most a week of hours: older ones are gone.
  const start = Math.max(profile.foldedToMs, until - WEEK_HOURS * HOUR_MS);
  const recentWeight = 1 - 0.5 ** (1 / RECENT_HALF_LIFE_HOURS);
  const breached = new Set(profile.breached ?? []);
  for (let h = start; h < until; h += HOUR_MS) {
    const counts = countsIn(hot, h, h + HOUR_MS);
    const slot = hourOfWeek(h);
    const weeks = next.weeks[slot] ?? 0;
    const held = METRICS.filter((m) => !learn.has(m));
    // Breaching a second week running: the new normal, learnt whole.
    const again = held.length > 0 && newHabits && breached.has(slot);
    if (held.length > 0 && !again) breached.add(slot);
    else breached.delete(slot);
    const w = weeks === 0 || again ? 1 : Math.max(WEEKLY_MIN_WEIGHT, 1 / (weeks + 1));
    for (const m of METRICS) {
      if (!learn.has(m) && !again) continue;
      const old = next.weekly[m][slot] ?? 0;
      next.weekly[m][slot] = round(w * counts[m] + (1 - w) * old, m === 'spend' ? 4 : 2);
      next.recent[m] =
        next.recentHours === 0
          ? counts[m]
          : round(recentWeight * counts[m] + (1 - recentWeight) * next.recent[m], 4);
    }
    // An hour of the week never seen stays unseen while a count of it is not learnt: seen with
    // nothing learnt, the slot would expect 0 calls a week later (and an incident would "resolve"
    // against it the moment it could not be learnt).
    if (weeks > 0 || learn.size === METRICS.length || again) next.weeks[slot] = Math.min(52, weeks + 1);
    next.recentHours = Math.min(10_000, next.recentHours + 1);
  }
  next.breached = [...breached].sort((a, b) => a - b);
  if (hot.lastCallMs !== null) next.lastCallMs = Math.max(profile.lastCallMs ?? 0, hot.lastCallMs);
  next.foldedToMs = until;
  // A country called before the fold edge is known from the edge's day on (on a busy trunk a
  // call is always in progress past the edge: its earliest call decides, not its latest). New
  // destinations of a firing new-destination incident stay new until their calls stop.
  const seen: Record<string, number> = {};
  for (const [country, firstMs] of Object.entries(hot.seen)) {
    // A country still tracked as new stays new for up to NOVEL_HOLD_MS from its first call (its
    // incident, if it fires, must not end because the fold learnt it); one an incident fired on
    // stays new for lookbackDays (flagged).
    const novel = hot.novel[country];
    const held =
      (novel !== undefined && (holdNovel || novel.firstMs > until - NOVEL_HOLD_MS)) ||
      (hot.flagged?.[country] ?? 0) > until;
    if (firstMs < until && !held) {
      next.known[country] = Math.max(next.known[country] ?? 0, floorTo(until - 1, DAY_MS));
    } else seen[country] = firstMs;
  }
  return { hot: { ...hot, seen }, profile: next, changed: true };
}

/**
 * Drops buckets no rule reads any more (older than `keepMs`, the longest window a rule reads,
 * once folded), and new destinations quiet for longer than `keepNovelMs`.
 */
export function prune(
  hot: TrafficHot,
  profile: TrafficProfile | undefined,
  nowMs: number,
  keep: { keepMs: number; keepNovelMs: number },
): TrafficHot {
  const { keepMs, keepNovelMs } = keep;
  const keepFrom = Math.min(profile?.foldedToMs ?? Number.POSITIVE_INFINITY, nowMs - keepMs);
  const novel = Object.fromEntries(
    Object.entries(hot.novel).filter(([, n]) => n.lastMs >= nowMs - keepNovelMs),
  );
  const flagged = Object.fromEntries(
    Object.entries(hot.flagged ?? {}).filter(([, untilMs]) => untilMs > nowMs),
  );
  return {
    ...hot,
    buckets: hot.buckets.filter((b) => b.startMs >= keepFrom),
    novel,
    ...(Object.keys(flagged).length > 0 ? { flagged } : { flagged: undefined }),
  };
}

// ---------------------------------------------------------------------------------------------
// What the baseline expects

export type Basis = 'weekly' | 'recent';

export interface Expected {
  value: number;
  basis: Basis;
}

/** The rate (per hour) an hour of the week's average gives at `ms`. */
function weeklyRate(profile: TrafficProfile, metric: TrafficMetric, ms: number): number | null {
  // The hour's own average, not a line between hour middles: an office that closes at 18:00
  // makes 4 calls in its 18:00 hour, not half the afternoon's (a line expected that, and paged
  // a drop every evening); a smooth ramp within an hour moves a window by a few percent.
  const slot = hourOfWeek(ms);
  if ((profile.weeks[slot] ?? 0) < 1) return null;
  return profile.weekly[metric][slot] ?? 0;
}

/**
 * What the baseline expects in [fromMs, toMs): the weekly averages once every hour of it was seen
 * in a week before ('weekly'). Before that, with `early`, the lower of the short-term average
 * (once MIN_RECENT_HOURS were folded) and the same hours the day before ('recent'): the average
 * of the last hours lags a day's ramps (it still expects the afternoon in the evening), the day
 * before does not know weekends (it expects Friday on Saturday); the lower of the two expects
 * neither, so a drop judged on it is a real one. Else null: nothing learnt, the rules stay quiet.
 */
export function expectedIn(
  profile: TrafficProfile | undefined,
  metric: TrafficMetric,
  fromMs: number,
  toMs: number,
  early = false,
): Expected | null {
  if (!profile || toMs <= fromMs) return null;
  let weekly = 0;
  let complete = true;
  for (let t = fromMs; t < toMs; t += BUCKET_MS) {
    const span = Math.min(BUCKET_MS, toMs - t);
    const rate = weeklyRate(profile, metric, t + span / 2);
    if (rate === null) {
      complete = false;
      break;
    }
    weekly += (rate * span) / HOUR_MS;
  }
  if (complete) return { value: weekly, basis: 'weekly' };
  if (!early || profile.recentHours < MIN_RECENT_HOURS) return null;
  let yesterday = 0;
  for (let t = fromMs; t < toMs; t += BUCKET_MS) {
    const span = Math.min(BUCKET_MS, toMs - t);
    const rate = weeklyRate(profile, metric, t + span / 2 - DAY_MS);
    if (rate === null) return null;
    yesterday += (rate * span) / HOUR_MS;
  }
  const average = (profile.recent[metric] * (toMs - fromMs)) / HOUR_MS;
  return { value: Math.min(average, yesterday), basis: 'recent' };
}

/** Whole days of history (hours folded) the profile holds. */
export const historyDays = (profile: TrafficProfile | undefined) =>
  profile ? Math.max(0, (profile.foldedToMs - profile.firstMs) / DAY_MS) : 0;

// ---------------------------------------------------------------------------------------------
// Stored form

const packNumbers = (values: readonly number[]) => values.map((n) => (n === 0 ? '' : String(n))).join(',');
const unpackNumbers = (text: unknown, length: number): number[] => {
  const parts = typeof text === 'string' ? text.split(',') : [];
  return Array.from({ length }, (_, i) => {
    const n = Number(parts[i] ?? 0);
    return Number.isFinite(n) ? n : 0;
  });
};

/** The stored form: buckets as "start:in:out:spend" (start in minutes), averages as comma lists. */
export function toStored(item: TrafficHot | TrafficProfile): StoredTraffic {
  if (item.kind === 'hot') {
    const { buckets, incidents, ...rest } = item;
    return {
      ...rest,
      // Only what an incident holds beyond a quiet one that never fired: most rules, most runs, none.
      incidents: Object.fromEntries(
        Object.entries(incidents).flatMap(([id, incident]) => {
          if (!incident) return [];
          // A quiet incident needs only its episode (the next one's number) and a breach in progress.
          const kept = incident.firing
            ? incident
            : { episode: incident.episode, breachSince: incident.breachSince ?? null };
          const set = Object.entries(kept).filter(
            ([, v]) => v !== null && v !== undefined && v !== false && v !== 0,
          );
          return set.length === 0 ? [] : [[id, Object.fromEntries(set)]];
        }),
      ),
      buckets: buckets
        .map(
          (b) =>
            `${b.startMs / 60_000}:${b.inbound}:${b.outbound}:${round(b.spend, 4)}${b.other > 0 ? `:${b.other}` : ''}`,
        )
        .join(';'),
    };
  }
  const { weekly, weeks, ...rest } = item;
  return {
    ...rest,
    weekly: {
      inbound: packNumbers(weekly.inbound),
      outbound: packNumbers(weekly.outbound),
      spend: packNumbers(weekly.spend),
      ...(weekly.other.some((n) => n !== 0) ? { other: packNumbers(weekly.other) } : {}),
    },
    weeks: packNumbers(weeks),
  };
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const record = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Reads a stored item back; null when it is not one (the caller counts it as unreadable). */
export function fromStored(stored: StoredTraffic): TrafficHot | TrafficProfile | null {
  const key = typeof stored.key === 'string' ? stored.key : null;
  if (key === null) return null;
  if (stored.kind === 'hot') {
    const buckets: TrafficBucket[] = [];
    if (typeof stored.buckets === 'string' && stored.buckets !== '') {
      for (const part of stored.buckets.split(';')) {
        const [s, i, o, p, x = 0] = part.split(':').map(Number);
        if ([s, i, o, p, x].every((n) => n !== undefined && Number.isFinite(n))) {
          buckets.push({
            startMs: (s as number) * 60_000,
            inbound: i as number,
            outbound: o as number,
            spend: p as number,
            other: x,
          });
        }
      }
    }
    return {
      ...emptyHot(key),
      buckets,
      seen: Object.fromEntries(
        Object.entries(record(stored.seen)).filter(([, v]) => typeof v === 'number'),
      ) as Record<string, number>,
      novel: record(stored.novel) as unknown as Record<string, NovelDestination>,
      lastCallMs: typeof stored.lastCallMs === 'number' ? stored.lastCallMs : null,
      ...(typeof stored.flagged === 'object' && stored.flagged !== null
        ? {
            flagged: Object.fromEntries(
              Object.entries(record(stored.flagged)).filter(([, v]) => typeof v === 'number'),
            ) as Record<string, number>,
          }
        : {}),
      ...(typeof stored.historyFromMs === 'number' ? { historyFromMs: stored.historyFromMs } : {}),
      ...(Array.isArray(stored.lateness) ? { lateness: stored.lateness.map((n) => num(n, 0)) } : {}),
      ...(typeof stored.latenessAtMs === 'number' ? { latenessAtMs: stored.latenessAtMs } : {}),
      ...(typeof stored.recentLateMs === 'number' && typeof stored.recentLateAtMs === 'number'
        ? { recentLateMs: stored.recentLateMs, recentLateAtMs: stored.recentLateAtMs }
        : {}),
      incidents: Object.fromEntries(
        Object.entries(record(stored.incidents)).map(([id, incident]) => [
          id,
          { ...quietIncident(), ...record(incident) },
        ]),
      ) as TrafficHot['incidents'],
      version: stored.version,
    };
  }
  if (stored.kind === 'profile') {
    const firstMs = num(stored.firstMs, Number.NaN);
    if (!Number.isFinite(firstMs)) return null;
    const weekly = record(stored.weekly);
    const recent = record(stored.recent);
    return {
      ...emptyProfile(key, firstMs),
      foldedToMs: num(stored.foldedToMs, firstMs),
      weekly: {
        inbound: unpackNumbers(weekly.inbound, WEEK_HOURS),
        outbound: unpackNumbers(weekly.outbound, WEEK_HOURS),
        spend: unpackNumbers(weekly.spend, WEEK_HOURS),
        other: unpackNumbers(weekly.other, WEEK_HOURS),
      },
      weeks: unpackNumbers(stored.weeks, WEEK_HOURS),
      recent: {
        inbound: num(recent.inbound, 0),
        outbound: num(recent.outbound, 0),
        spend: num(recent.spend, 0),
        other: num(recent.other, 0),
      },
      recentHours: num(stored.recentHours, 0),
      ...(typeof stored.lastCallMs === 'number' ? { lastCallMs: stored.lastCallMs } : {}),
      ...(Array.isArray(stored.breached)
        ? { breached: stored.breached.filter((n): n is number => typeof n === 'number') }
        : {}),
      known: Object.fromEntries(
        Object.entries(record(stored.known)).filter(([, v]) => typeof v === 'number'),
      ) as Record<string, number>,
      version: stored.version,
    };
  }
  return null;
}
