import type { WindowedRuleId, WindowedRulesConfig } from '../config/schema';
import { MINUTE_MS, reachesMinutes } from '../schedule';
import { FIRES_BELOW, type Observation } from './observe';

/** What the state machine reads of a rule (the rule's settings, overrides already applied). */
type RuleConfig = Pick<
  WindowedRulesConfig[WindowedRuleId],
  'windowMinutes' | 'minCalls' | 'aggregate' | 'threshold' | 'recoveryThreshold' | 'for' | 'baseline'
>;

/** Values kept per one-minute bucket for p95: enough for a tail estimate, bounded in size. */
const VALUES_PER_BUCKET = 200;
const MINUTE = MINUTE_MS;

export interface WindowBucket {
  minute: number;
  calls: number;
  hits: number;
  sum: number;
  values: number[];
}

/** An evaluation that breached: when (epoch ms), and the schedule interval it counts for (ms). */
export interface WindowBreach {
  atMs: number;
  spanMs: number;
}

/** A windowed rule's state for one group of calls (one trunk, one destination country...). */
export interface WindowState {
  id: string;
  ruleId: WindowedRuleId;
  labels: Record<string, string>;
  buckets: WindowBucket[];
  /** EWMA of earlier, non-breaching windows; null until learnt. */
  baseline: number | null;
  /**
   * The evaluations that breached and still count for flap control (those in the last
   * `for.withinMinutes`), oldest first. Only breaches are kept: an evaluation that did not
   * breach adds no time, and a run that did not evaluate (none, or an idle window not saved)
   * is no different from one that did not breach.
   */
  breaches: WindowBreach[];
  /**
   * Breach (true) or not of the last evaluations, newest last, as a state written before
   * evaluations were timed holds it. Read once (see breachesOf) and not written again.
   */
  history?: boolean[];
  firing: boolean;
  firingSince: string | null;
  /** The value that fired (or the worst since), for the notices. */
  peak: number | null;
  episode: number;
  notices: number;
  lastNotifiedAt: string | null;
  version: number;
}

export interface WindowEvaluation {
  calls: number;
  hits: number;
  /** The aggregate; null when the window holds fewer than minCalls calls. */
  value: number | null;
  /** The threshold in force (the configured one, or the baseline-derived one if stricter). */
  threshold: number;
  breach: boolean;
}

export type WindowNotice = 'firing' | 'reminder' | 'resolved';

export function emptyWindow(id: string, ruleId: WindowedRuleId, labels: Record<string, string>): WindowState {
  return {
    id,
    ruleId,
    labels,
    buckets: [],
    baseline: null,
    breaches: [],
    firing: false,
    firingSince: null,
    peak: null,
    episode: 0,
    notices: 0,
    lastNotifiedAt: null,
    version: 0,
  };
}

function percentile95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? null;
}

/** Adds observations and drops buckets that slid out of the window. */
export function addObservations(
  state: WindowState,
  observations: readonly Observation[],
  now: Date,
  rule: RuleConfig,
): WindowState {
  const oldest = Math.floor(now.getTime() / MINUTE) - rule.windowMinutes + 1;
  const buckets = new Map(
    state.buckets.filter((b) => b.minute >= oldest).map((b) => [b.minute, { ...b, values: [...b.values] }]),
  );
  for (const o of observations) {
    const minute = Math.floor(o.atMs / MINUTE);
    if (minute < oldest) continue; // too late to count: the window has moved past it
    const bucket = buckets.get(minute) ?? { minute, calls: 0, hits: 0, sum: 0, values: [] };
    bucket.calls += 1;
    if (o.hit) bucket.hits += 1;
    if (o.value !== null) {
      bucket.sum += o.value;
      if (bucket.values.length < VALUES_PER_BUCKET) bucket.values.push(o.value);
    }
    buckets.set(minute, bucket);
  }
  return { ...state, buckets: [...buckets.values()].sort((a, b) => a.minute - b.minute) };
}

export function evaluateWindow(state: WindowState, rule: RuleConfig): WindowEvaluation {
  const below = FIRES_BELOW.has(state.ruleId);
  const calls = state.buckets.reduce((n, b) => n + b.calls, 0);
  const hits = state.buckets.reduce((n, b) => n + b.hits, 0);
  const withValues = state.buckets.flatMap((b) => b.values);
  let value: number | null = null;
  if (calls >= rule.minCalls) {
    if (rule.aggregate === 'share') value = hits / calls;
    else if (rule.aggregate === 'count') value = hits;
    else if (rule.aggregate === 'mean') {
      const n = state.buckets.reduce((k, b) => k + (b.values.length > 0 ? b.calls : 0), 0);
      value = n > 0 ? state.buckets.reduce((s, b) => s + b.sum, 0) / n : null;
    } else value = percentile95(withValues);
  }
  let threshold = rule.threshold;
  if (rule.baseline.enabled && state.baseline !== null) {
    threshold = below
      ? Math.min(threshold, state.baseline / rule.baseline.factor)
      : Math.max(threshold, state.baseline * rule.baseline.factor);
  }
  // With a baseline asked for, the first windows only teach it what normal is.
  const learning = rule.baseline.enabled && state.baseline === null;
  const breach = !learning && value !== null && (below ? value <= threshold : value >= threshold);
  return { calls, hits, value, threshold, breach };
}

/**
 * The window's breaching evaluations, oldest first, as kept; for a state written before they
 * were timed (`history`, breach or not per run, newest last), its evaluations read as the runs
 * before this one, one schedule interval apart: what they were, unless the schedule changed in
 * the same deployment as the code (then they count the new interval, once). Entries that cannot
 * be read are left out.
 */
export function breachesOf(state: WindowState, nowMs: number, intervalMs: number): WindowBreach[] {
  if (Array.isArray(state.breaches)) {
    return state.breaches.filter(
      (b) =>
        typeof b === 'object' &&
        b !== null &&
        Number.isFinite(b.atMs) &&
        Number.isFinite(b.spanMs) &&
        b.spanMs > 0,
    );
  }
  const history = Array.isArray(state.history) ? state.history : [];
  return history.flatMap((breach, i) =>
    breach === true ? [{ atMs: nowMs - (history.length - i) * intervalMs, spanMs: intervalMs }] : [],
  );
}

/**
 * Whether a breaching evaluation falls in the last `withinMinutes`: when most of the interval
 * it counts for does (its middle is inside), so a run a few seconds early or late neither adds
 * nor loses one at the far end; the evaluation of `nowMs` always does.
 */
function inSpan(breach: WindowBreach, nowMs: number, withinMinutes: number): boolean {
  return breach.atMs >= nowMs || breach.atMs - breach.spanMs / 2 > nowMs - withinMinutes * MINUTE;
}

/** Time the rule breached in the last `withinMinutes`: the intervals of its breaching evaluations in them. */
export function breachedMs(breaches: readonly WindowBreach[], nowMs: number, withinMinutes: number): number {
  return breaches.filter((b) => inSpan(b, nowMs, withinMinutes)).reduce((ms, b) => ms + b.spanMs, 0);
}

/**
 * One evaluation: flap control (fire, on a breach, once the evaluations breached for
 * `for.breachMinutes` of the last `for.withinMinutes`, each counting the schedule interval it
 * ran in: `intervalMs` for this one), hysteresis (clear only past the recovery threshold, or
 * once the window holds no call at all; too few calls to judge holds it as it is), and the baseline (an EWMA of the windows seen while
 * not firing, each weighing as much as its interval, so its half-life is the same at any
 * schedule).
 */
export function stepWindow(
  state: WindowState,
  evaluation: WindowEvaluation,
  rule: RuleConfig,
  at: { now: Date; intervalMs: number; repeatIntervalMinutes: number },
): { state: WindowState; notice: WindowNotice | null } {
  const { now, intervalMs, repeatIntervalMinutes } = at;
  const nowMs = now.getTime();
  const below = FIRES_BELOW.has(state.ruleId);
  const breaches = [
    ...breachesOf(state, nowMs, intervalMs),
    ...(evaluation.breach ? [{ atMs: nowMs, spanMs: intervalMs }] : []),
  ].filter((b) => inSpan(b, nowMs, rule.for.withinMinutes));
  const { history: _timedNow, ...rest } = state;
  let next: WindowState = { ...rest, breaches };
  const { value } = evaluation;
  // Learnt while not firing, frozen during an incident so that the incident never becomes normal.
  if (!state.firing && value !== null) {
    const weight = 1 - 0.5 ** (intervalMs / (rule.baseline.halfLifeMinutes * MINUTE));
    next.baseline = state.baseline === null ? value : weight * value + (1 - weight) * state.baseline;
  }
  if (!state.firing) {
    // Only on a breach: never on a run whose own window is fine (or empty).
    const fires =
      evaluation.breach &&
      reachesMinutes(breachedMs(breaches, nowMs, rule.for.withinMinutes), rule.for.breachMinutes);
    if (fires) {
      next = {
        ...next,
        firing: true,
        firingSince: now.toISOString(),
        peak: value,
        episode: state.episode + 1,
        notices: 0,
      };
      return { state: next, notice: 'firing' };
    }
    return { state: next, notice: null };
  }
  // Too few calls to judge is no recovery while the window still holds calls: a quiet trunk
  // whose window dips under minCalls mid-incident would resolve and fire again (seen at a
  // 1-minute schedule). Once its window is empty (its calls stopped), it resolves.
  if (value === null && evaluation.calls > 0) return { state: next, notice: null };
  const recovered =
    value === null || (below ? value > rule.recoveryThreshold : value < rule.recoveryThreshold);
  if (recovered) return { state: { ...next, firing: false }, notice: next.notices > 0 ? 'resolved' : null };
  const worse = value !== null && (next.peak === null || (below ? value < next.peak : value > next.peak));
  if (worse) next.peak = value;
  if (
    next.lastNotifiedAt &&
    now.getTime() - Date.parse(next.lastNotifiedAt) >= repeatIntervalMinutes * MINUTE
  ) {
    return { state: next, notice: 'reminder' };
  }
  return { state: next, notice: next.notices === 0 ? 'firing' : null };
}

export function afterWindowNotice(state: WindowState, now: Date): WindowState {
  return { ...state, notices: state.notices + 1, lastNotifiedAt: now.toISOString() };
}
