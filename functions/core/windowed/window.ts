import type { WindowedRuleId, WindowedRulesConfig } from '../config/schema';
import { FIRES_BELOW, type Observation } from './observe';

/** What the state machine reads of a rule (the rule's settings, overrides already applied). */
type RuleConfig = Pick<
  WindowedRulesConfig[WindowedRuleId],
  | 'windowMinutes'
  | 'minCalls'
  | 'aggregate'
  | 'threshold'
  | 'recoveryThreshold'
  | 'forEvaluations'
  | 'baseline'
>;

/** Values kept per one-minute bucket for p95: enough for a tail estimate, bounded in size. */
const VALUES_PER_BUCKET = 200;
const MINUTE = 60_000;

export interface WindowBucket {
  minute: number;
  calls: number;
  hits: number;
  sum: number;
  values: number[];
}

/** A windowed rule's state for one group of calls (one trunk, one destination country...). */
export interface WindowState {
  id: string;
  ruleId: WindowedRuleId;
  labels: Record<string, string>;
  buckets: WindowBucket[];
  /** EWMA of earlier, non-breaching windows; null until learnt. */
  baseline: number | null;
  /** Breach (true) or not of the last evaluations, newest last. */
  history: boolean[];
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
    history: [],
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
 * One evaluation: flap control (fire when m of the last n evaluations breached), hysteresis
 * (clear only past the recovery threshold, or when too few calls are left to judge), and the
 * baseline (an EWMA of the windows seen while not firing).
 */
export function stepWindow(
  state: WindowState,
  evaluation: WindowEvaluation,
  rule: RuleConfig,
  now: Date,
  repeatIntervalMinutes: number,
): { state: WindowState; notice: WindowNotice | null } {
  const below = FIRES_BELOW.has(state.ruleId);
  const history = [...state.history, evaluation.breach].slice(-rule.forEvaluations.n);
  let next: WindowState = { ...state, history };
  const { value } = evaluation;
  // Learnt while not firing, frozen during an incident so that the incident never becomes normal.
  if (!state.firing && value !== null) {
    next.baseline =
      state.baseline === null
        ? value
        : rule.baseline.alpha * value + (1 - rule.baseline.alpha) * state.baseline;
  }
  if (!state.firing) {
    if (history.filter(Boolean).length >= rule.forEvaluations.m) {
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
