import { type EvaluatedCall, wasAnswered } from '../call';
import type { AlertConfig, WindowedRuleId } from '../config/schema';
import { labelsOf } from '../dimensions';
import { groupIdOf } from '../groups/group';

/** One call as a windowed rule sees it: a value (mean, p95) and whether it counts as a hit (share, count). */
export interface Observation {
  atMs: number;
  value: number | null;
  hit: boolean;
}

/** Answer-seizure ratio is good when high: it fires at or below its threshold. The others fire at or above. */
export const FIRES_BELOW: ReadonlySet<WindowedRuleId> = new Set(['answer-seizure-ratio']);

export const WINDOW_METRIC: Record<WindowedRuleId, { metric: string; unit: string }> = {
  'packet-loss-spike': { metric: 'packet loss', unit: '%' },
  'low-quality-share': { metric: 'quality score', unit: '' },
  'zentrunk-hangup-share': { metric: 'Zentrunk hangups', unit: '' },
  'stir-unverified-share': { metric: 'STIR/SHAKEN Not Verified', unit: '' },
  'answer-seizure-ratio': { metric: 'answered calls', unit: '' },
  'post-dial-delay-p95': { metric: 'post-dial delay', unit: 'ms' },
};

/** What a windowed rule reads from one finished call; null when the call says nothing about it. */
export function observe(id: WindowedRuleId, subject: EvaluatedCall, config: AlertConfig): Observation | null {
  const { call, insights } = subject;
  if (call.endTime === null) return null;
  const atMs = Date.parse(call.endTime);
  switch (id) {
    case 'packet-loss-spike': {
      const loss = insights?.packetLossPct ?? null;
      if (loss === null) return null;
      return {
        atMs,
        value: loss,
        hit: loss >= config.windowedRules['packet-loss-spike'].perCallThresholdPct,
      };
    }
    case 'low-quality-share': {
      const score = insights?.qualityScore ?? null;
      if (score === null) return null;
      return { atMs, value: score, hit: score < config.windowedRules['low-quality-share'].below };
    }
    case 'zentrunk-hangup-share': {
      const ignored =
        call.hangupCauseCode !== null &&
        config.rules['zentrunk-hangup'].ignoreCodes.includes(call.hangupCauseCode);
      return { atMs, value: null, hit: call.hangupSource === 'zentrunk' && !ignored };
    }
    case 'stir-unverified-share':
      // Not Applicable (no US caller ID to verify) is neither good nor bad: left out.
      if (call.stirVerification !== 'verified' && call.stirVerification !== 'not-verified') return null;
      return { atMs, value: null, hit: call.stirVerification === 'not-verified' };
    case 'answer-seizure-ratio':
      return { atMs, value: null, hit: wasAnswered(call) };
    case 'post-dial-delay-p95': {
      const pdd = insights?.postDialDelayMs ?? null;
      return pdd === null ? null : { atMs, value: pdd, hit: false };
    }
  }
}

/** The labels a windowed rule groups calls by (from_prefix: the caller ID's first digits, e.g. +1202). */
export function windowLabels(subject: EvaluatedCall, groupBy: readonly string[]): Record<string, string> {
  return labelsOf(subject.call, subject.insights, groupBy);
}

export function windowIdOf(id: WindowedRuleId, labels: Record<string, string>): string {
  return groupIdOf(`window:${id}`, labels);
}
