import type { TrafficRuleId, TrafficRulesConfig } from './traffic-config';
import type { Settle, TrafficHot, TrafficProfile } from './traffic-state';

/** What a traffic rule is given to judge one trunk (or the account) in one run. */
export interface JudgeContext<Id extends TrafficRuleId = TrafficRuleId> {
  key: string;
  hot: TrafficHot;
  profile: TrafficProfile | undefined;
  /** The rule's settings for this trunk (an override applied). */
  rule: TrafficRulesConfig[Id];
  nowMs: number;
  /** Calls that ended before this are all read (the watermark, never after now). */
  readToMs: number;
  /** Buckets that end by this have settled (read, and older than the settle time): a bucket edge. */
  settledToMs: number;
  settle: Settle;
  /** Whether the rule's incident for this trunk is firing. */
  firing: boolean;
  /** A phone number as the alerts show it (masked when configured). */
  showNumber: (number: string) => string;
}

/**
 * breach: fires (or stays firing). ok: fine (a firing incident resolves). hold: between the
 * threshold and the recovery (a firing incident stays, a quiet one stays quiet). unjudged: the
 * rule cannot tell yet (no baseline, too little history): nothing changes, `note` says why.
 */
export type JudgementState = 'breach' | 'ok' | 'hold' | 'unjudged';

export interface Judgement {
  state: JudgementState;
  /** The value an update compares with the peak (a share, a count, USD). */
  value: number | null;
  /** One short phrase for the subject and SMS: "0 calls, 118 expected". */
  headline: string;
  /** The message's lines: what was counted, against what, since when. */
  lines: string[];
  /** Why it is not judged, or on what basis it is (status and explain show it). */
  note: string;
  /** Machine-readable figures for the JSON form. */
  detail: Record<string, unknown>;
  /** Extra labels for the alert (the countries involved). */
  labels?: Record<string, string>;
}

export interface TrafficRuleDescriptor<Id extends TrafficRuleId = TrafficRuleId> {
  id: Id;
  /** 'trunks': each trunk only; 'trunks-and-account': each trunk and the account as a whole. */
  keys: 'trunks' | 'trunks-and-account';
  /** What it is about, for the rules table. */
  summary: string;
  /** How long it needs before it can fire (README, explain). */
  needs: string;
  advice: string[];
  judge(ctx: JudgeContext<Id>): Judgement;
  /** Whether `value` is materially worse than the peak (the one update of an incident). */
  worse(peak: number, value: number): boolean;
}

export function defineTrafficRule<const Id extends TrafficRuleId>(
  rule: TrafficRuleDescriptor<Id>,
): TrafficRuleDescriptor<Id> {
  return rule;
}

export const unjudged = (note: string): Judgement => ({
  state: 'unjudged',
  value: null,
  headline: note,
  lines: [],
  note,
  detail: {},
});

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** "09:30–09:45 UTC (Tuesday)" */
export function spanText(fromMs: number, toMs: number): string {
  const hm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  return `${hm(fromMs)}–${hm(toMs)} UTC (${WEEKDAYS[new Date(fromMs).getUTCDay()]})`;
}

export const usd = (n: number) => `$${n.toFixed(2)}`;
export const calls = (n: number) => `${Math.round(n)} call${Math.round(n) === 1 ? '' : 's'}`;
export const basisText = (basis: 'weekly' | 'recent') =>
  basis === 'weekly'
    ? 'the weekly baseline for this hour'
    : 'the average of the last hours (less than a week of history yet)';
