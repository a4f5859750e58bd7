import type { TrafficKeyView, TrafficView } from '../functions/core/poll/notify-traffic';
import { ACCOUNT_KEY, MIN_LATENESS_SAMPLES, type Settle } from '../functions/core/traffic/traffic-state';
import { count, duration, utc } from './io';

/**
 * The traffic rules' view (functions/core/poll/notify-traffic's viewTraffic) as `status` and
 * `explain` show it: the same words for the settle time, a trunk's history and its rules.
 */

/** "account" for the account-wide item, else the trunk. */
export const whereText = (key: string) => (key === ACCOUNT_KEY ? 'account' : key);

/** "none yet", "5 h", "3.5 d": the hours of history the baseline holds. */
export function historyText(view: Pick<TrafficKeyView, 'historyFromMs' | 'historyDays'>): string {
  if (view.historyFromMs === null) return 'none yet';
  const hours = Math.floor(view.historyDays * 24 + 1e-9);
  if (hours < 1) return 'under 1 h';
  return hours < 48 ? `${hours} h` : `${(Math.floor(view.historyDays * 10) / 10).toFixed(1)} d`;
}

/** How long the newest calls are left to settle, and where that comes from. */
export function settleText(settle: Settle): string {
  const samples = Math.round(settle.samples);
  return settle.measured
    ? `settle time ${duration(settle.ms)}, measured from how late ${count(samples)} recent calls were listed`
    : `settle time ${duration(settle.ms)} (trafficRules.settle.maxMinutes: ${MIN_LATENESS_SAMPLES} calls are needed to measure it, ${count(samples)} recent ones seen)`;
}

/**
 * How a rule stands: firing (since when), breaching (not firing yet: its forMinutes), not judged
 * (the note says why: learning, forgotten), ok or hold; with the note unless `withNote` is false
 * (shown next to it already).
 */
export function stateText(j: TrafficKeyView['judgements'][number], withNote = true): string {
  const note = withNote ? `: ${j.judgement.note}` : '';
  if (j.incident?.firing) return `FIRING since ${utc(j.incident.since)}${note}`;
  if (j.judgement.state === 'breach') return `breaching, not firing yet${note}`;
  if (j.judgement.state === 'unjudged') return j.judgement.note;
  return `${j.judgement.state}${note}`;
}

/** The same, after the rule's id. */
export const ruleText = (j: TrafficKeyView['judgements'][number], withNote = true) =>
  j.judgement.state === 'unjudged' && !j.incident?.firing
    ? `${j.ruleId}: ${j.judgement.note}`
    : `${j.ruleId} ${stateText(j, withNote)}`;

/** The JSON form of the settle time and the edge of the settled buckets. */
export function settleJson(view: TrafficView) {
  return {
    settle: {
      seconds: Math.round(view.edges.settle.ms / 1000),
      measured: view.edges.settle.measured,
      samples: Math.round(view.edges.settle.samples),
    },
    settledTo: new Date(view.edges.settledToMs).toISOString(),
  };
}

/** The JSON form of a rule's judgement and its incident. */
export function judgementJson(j: TrafficKeyView['judgements'][number]) {
  return {
    rule: j.ruleId,
    severity: j.severity,
    state: j.judgement.state,
    note: j.judgement.note,
    detail: j.judgement.detail,
    firing: j.incident?.firing === true,
    since: j.incident?.firing ? j.incident.since : null,
  };
}

/** The JSON form of a trunk's (or the account's) history. */
export const historyJson = (k: Pick<TrafficKeyView, 'historyFromMs' | 'historyDays'>) => ({
  historyFrom: k.historyFromMs === null ? null : new Date(k.historyFromMs).toISOString(),
  historyDays: Math.round(k.historyDays * 100) / 100,
});

/** The JSON form: settle time, edges, and per trunk (the account first) each rule's judgement. */
export function trafficJson(view: TrafficView) {
  return {
    ...settleJson(view),
    unreadableItems: view.unreadable,
    trunks: view.keys.map((k) => ({
      key: k.key,
      account: k.key === ACCOUNT_KEY,
      labels: k.labels,
      ...historyJson(k),
      rules: k.judgements.map(judgementJson),
    })),
  };
}
