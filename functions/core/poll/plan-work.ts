import { createHash } from 'node:crypto';
import type { Call } from '../call';
import type { AlertConfig } from '../config/schema';
import type { GroupState } from '../groups/group';
import type { ReadRange } from '../ports';
import { FIRES_BELOW, windowLabels } from '../windowed/observe';
import { evaluateWindow, type WindowState } from '../windowed/window';
import { windowRuleFor } from '../windowed/window-rule';

/**
 * How a run spends its share of Plivo's rate limit. The ceiling on how many calls a poller can
 * watch is that limit: one Insights request per call plus one list request per 20 calls. A run
 * works through its read range in slices sized to a fraction of the run; when calls arrive
 * faster than the budget can fetch Insights for, it fetches Insights for a share of them (calls
 * on trunks that are in trouble first, then a uniform random sample) so it never falls behind.
 */

/** One list request brings 20 calls. */
export const LIST_REQUESTS_PER_CALL = 1 / 20;
/**
 * Planning assumes this share of the configured budget is actually granted: the limiter keeps
 * a margin for latency jitter and backs off on 429s that other users of the account cause.
 */
const USABLE_BUDGET = 0.85;
/** Share of a run's usable time an overloaded run plans to fill (the rest absorbs jitter). */
const RUN_SHARE_PLANNED = 0.85;
/** A slice takes about this share of a run's usable time (several checkpoints per run). */
const SLICE_SHARE_OF_RUN = 0.25;
const MIN_SLICE_SECONDS = 10;
const MAX_SLICE_SECONDS = 60;
/** A slice with more calls than this times its target is split again before it is listed. */
const SPLIT_FACTOR = 2;
/**
 * No slice is cut shorter than this by a count: a count too high (Plivo's total_count is only
 * an estimate of the work) once cut the range into 1-second slices, each "expected" to take
 * hours, and no run got past the first. At the most one account can be watched for (~57
 * calls/s), a minute holds about one slice's target anyway.
 */
export const MIN_SLICE_MS = 60_000;

/** Plivo requests per second this poller may make. */
export function requestsPerSecond(config: AlertConfig): number {
  return config.plivo.maxRequestsPer5s / 5;
}

export interface InsightsShare {
  /** Share of calls (beyond the prioritised ones) that get an Insights request, 0–1. */
  share: number;
  /** New calls per second in the read range, as Plivo counted them (null: not counted). */
  arrivalPerSecond: number | null;
  /** Calls per second the budget can fetch Insights for over a whole schedule interval. */
  capacityPerSecond: number;
}

/**
 * The share of calls whose Insights this run fetches. 1 unless calls arrive faster than the
 * budget can serve them over a schedule interval (the run only has its usable time of each
 * interval): then the listing (which every call needs) is paid first and the rest of the
 * budget buys Insights for a share of the calls, so the lag stays within the interval.
 * A backlog (an outage, a first run) is not an overload: its calls arrived at the usual rate,
 * so it is worked off in full over several runs.
 */
export function insightsShare(opts: {
  config: AlertConfig;
  newCalls: number | null;
  newSpanMs: number;
  /** Calls of the overlap, listed again (for late CDRs) but already evaluated. */
  rereadCalls?: number | null;
  usableMs: number;
  intervalMs: number;
}): InsightsShare {
  const rate = requestsPerSecond(opts.config) * USABLE_BUDGET;
  const duty = Math.min(1, Math.max(0, opts.usableMs) / opts.intervalMs);
  const capacityPerSecond = (rate * duty) / (1 + LIST_REQUESTS_PER_CALL);
  if (opts.newCalls === null || opts.newSpanMs <= 0) {
    return { share: 1, arrivalPerSecond: null, capacityPerSecond };
  }
  const arrival = opts.newCalls / (opts.newSpanMs / 1000);
  if (arrival <= capacityPerSecond) return { share: 1, arrivalPerSecond: arrival, capacityPerSecond };
  // Sustainable: what the budget buys per interval. And this run must get through its own
  // range (a run that started late, or after a slow one, has more than an interval of calls).
  // Listing the overlap again costs requests too (one per 20 calls), every run.
  const reread = ((opts.rereadCalls ?? 0) / (opts.newSpanMs / 1000)) * LIST_REQUESTS_PER_CALL;
  const sustainable = (rate * duty - arrival * LIST_REQUESTS_PER_CALL - reread) / arrival;
  const budgetThisRun = rate * RUN_SHARE_PLANNED * (Math.max(0, opts.usableMs) / 1000);
  const thisRun =
    (budgetThisRun - (opts.rereadCalls ?? 0) * LIST_REQUESTS_PER_CALL) / opts.newCalls -
    LIST_REQUESTS_PER_CALL;
  const share = Math.max(0, Math.min(1, sustainable, thisRun));
  return { share, arrivalPerSecond: arrival, capacityPerSecond };
}

/**
 * Whether a listed slice shows the count it was planned on to be far off: it held under a
 * quarter of the calls counted, or over four times as many (and a hundred calls apart at
 * least). The run then plans the rest of its range without Plivo's counts.
 */
export function countDisproved(counted: number | null | undefined, listed: number): boolean {
  if (counted === null || counted === undefined) return false;
  const far = (a: number, b: number) => a * 4 < b && b - a >= 100;
  return far(listed, counted) || far(counted, listed);
}

/**
 * The longest slice of a range whose calls were not counted (no count, or counts no longer
 * trusted): without a count, time alone keeps a slice within what a run can list and judge.
 */
export const MAX_UNCOUNTED_SLICE_MS = 5 * 60_000;

/** A range without a (trusted) count, cut into slices of at most MAX_UNCOUNTED_SLICE_MS. */
export function splitUncounted(range: ReadRange): ReadRange[] {
  const span = range.to.getTime() - range.from.getTime();
  return span > MAX_UNCOUNTED_SLICE_MS
    ? splitRange(range, Math.ceil(span / MAX_UNCOUNTED_SLICE_MS))
    : [range];
}

/** Calls one slice should hold: about a quarter of the run's usable time at the budget. */
export function sliceTarget(config: AlertConfig, usableMs: number, share: number): number {
  const seconds = Math.min(
    MAX_SLICE_SECONDS,
    Math.max(MIN_SLICE_SECONDS, (usableMs / 1000) * SLICE_SHARE_OF_RUN),
  );
  const perCall = Math.max(share, 0.05) + LIST_REQUESTS_PER_CALL;
  return Math.max(100, Math.floor((requestsPerSecond(config) * USABLE_BUDGET * seconds) / perCall));
}

/** Seconds a slice of `calls` is expected to take at the budget. */
export function sliceSeconds(config: AlertConfig, calls: number, share: number): number {
  return (calls * (share + LIST_REQUESTS_PER_CALL)) / (requestsPerSecond(config) * USABLE_BUDGET);
}

/** True when a slice of `count` calls (target `target`) should be split before it is listed. */
export function tooBig(range: ReadRange, count: number | null, target: number): boolean {
  return (
    count !== null &&
    count > target * SPLIT_FACTOR &&
    range.to.getTime() - range.from.getTime() >= 2 * MIN_SLICE_MS
  );
}

/**
 * Splits a range into `parts` consecutive ranges of whole seconds, none shorter than
 * MIN_SLICE_MS (fewer parts if the range is too short for that many).
 */
export function splitRange(range: ReadRange, parts: number): ReadRange[] {
  const fromSec = Math.floor(range.from.getTime() / 1000);
  const toSec = Math.floor(range.to.getTime() / 1000);
  const n = Math.max(1, Math.min(parts, Math.floor((toSec - fromSec) / (MIN_SLICE_MS / 1000))));
  const out: ReadRange[] = [];
  for (let i = 0; i < n; i += 1) {
    const a = fromSec + Math.floor(((toSec - fromSec) * i) / n);
    const b = i === n - 1 ? toSec : fromSec + Math.floor(((toSec - fromSec) * (i + 1)) / n);
    out.push({ from: new Date(a * 1000), to: new Date(b * 1000) });
  }
  return out;
}

/**
 * Where a call falls in [0, 1): a hash of its id, so the sample is uniform, independent of
 * the order Plivo lists calls in, and the same on a rerun of the same range.
 */
export function samplePoint(callUuid: string): number {
  return createHash('sha256').update(callUuid).digest().readUInt32BE(0) / 2 ** 32;
}

/** Label sets of incidents in progress or close to firing: calls that match get Insights first. */
export type HotSpots = ReadonlyArray<Readonly<Record<string, string>>>;

/** Firing alert groups, and windowed rules firing or past their recovery threshold. */
export function hotSpots(
  groups: readonly GroupState[],
  windows: readonly WindowState[],
  config: AlertConfig,
): HotSpots {
  const out: Array<Record<string, string>> = [];
  for (const group of groups) if (group.status === 'firing') out.push(group.labels);
  for (const window of windows) {
    const rule = windowRuleFor(config, window.ruleId, window.labels);
    if (!rule.enabled) continue;
    if (window.firing) {
      out.push(window.labels);
      continue;
    }
    // Near: past the recovery threshold on the way to firing (the band a firing window must
    // leave to clear), so a brewing incident is measured on all of its calls.
    const { value } = evaluateWindow(window, rule);
    if (value === null) continue;
    const near = FIRES_BELOW.has(window.ruleId)
      ? value <= rule.recoveryThreshold
      : value >= rule.recoveryThreshold;
    if (near) out.push(window.labels);
  }
  // Only labels known before the Insights answer (the carrier is in the Insights) can pick calls.
  return out
    .map((labels) => Object.fromEntries(Object.entries(labels).filter(([label]) => label !== 'carrier')))
    .filter((labels) => Object.keys(labels).length > 0);
}

export function isHot(call: Call, hot: HotSpots): boolean {
  for (const labels of hot) {
    const own = windowLabels({ call, insights: null, insightsGaveUp: false }, Object.keys(labels));
    if (Object.entries(labels).every(([label, value]) => own[label] === value)) return true;
  }
  return false;
}

export { carriedNoMedia } from '../call';

/**
 * Whether the Insights of a call without media can matter: only its post-dial delay can
 * (quality, loss, jitter and RTT need media), and only when a post-dial-delay rule is on.
 */
export function noMediaInsightsNeeded(config: AlertConfig): boolean {
  const on = (rule: { enabled: boolean; overrides: ReadonlyArray<{ enabled?: boolean }> }) =>
    rule.enabled || rule.overrides.some((o) => o.enabled === true);
  return on(config.rules['high-post-dial-delay']) || on(config.windowedRules['post-dial-delay-p95']);
}
