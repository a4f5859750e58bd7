import type { EvaluatedCall } from '../call';
import type { AlertConfig, RuleId, Severity } from '../config/schema';
import { describeOutside } from '../dimensions';
import type { Finding } from '../finding';
import { CALL_RULES } from './evaluate-rules';
import { describeScope, ruleFor } from './overrides';
import { inScope } from './scope';

/**
 * Why each per-call rule did or did not fire for one call: the value read, the thresholds in
 * force (the override that applied, if one did) and the reason, in words. The verdict itself
 * comes from the rules (the same code the poller runs), so an explanation cannot disagree with
 * what the poller did; this module only describes it.
 */
export interface RuleVerdict {
  ruleId: RuleId;
  verdict: 'fires' | 'quiet' | 'disabled' | 'out-of-scope' | 'no-data';
  severity: Severity | null;
  /** What the rule read from the call: "6.2 %", "3020 rtp_timeout by zentrunk". */
  value: string;
  /** The thresholds in force: ">= 0.9 %, critical >= 5 %". */
  thresholds: string;
  /** The override the call was judged by ("trunk acme.zt.plivo.com"), null for the rule's own settings. */
  override: string | null;
  why: string;
  finding: Finding | null;
}

const n = (value: number) => (Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2))));
const show = (value: number | null, unit: string) =>
  value === null ? 'n/a' : `${n(value)}${unit ? ` ${unit}` : ''}`;

interface Described {
  value: string;
  thresholds: string;
  /** Why it did not fire, when it is in scope, enabled and has its data. */
  quiet: string;
}

function describe(id: RuleId, subject: EvaluatedCall, config: AlertConfig): Described {
  const { call, insights } = subject;
  switch (id) {
    case 'zentrunk-hangup': {
      const r = ruleFor(config, id, call);
      const code = call.hangupCauseCode;
      const value =
        `${code ?? 'no code'} ${call.hangupCauseName ?? ''} by ${call.hangupSource ?? 'unknown'}`.replace(
          /\s+/g,
          ' ',
        );
      return {
        value,
        thresholds: `by zentrunk, not ${r.ignoreCodes.join('/')}`,
        quiet:
          call.hangupSource !== 'zentrunk'
            ? `hung up by ${call.hangupSource ?? 'an unknown party'}, not by Zentrunk`
            : `code ${code} is in ignoreCodes (a normal outcome)`,
      };
    }
    case 'stir-unverified': {
      const value =
        call.stirVerification === null
          ? 'unknown'
          : `${call.stirVerification}${call.attestation ? ` (${call.attestation})` : ''}`;
      return {
        value,
        thresholds: 'Not Verified (attestation B or C)',
        quiet:
          call.stirVerification === 'verified'
            ? 'verified (attestation A)'
            : call.stirVerification === 'not-applicable'
              ? 'not applicable: no US caller ID to verify'
              : 'no STIR/SHAKEN result on the CDR',
      };
    }
    case 'low-quality-score': {
      const r = ruleFor(config, id, call);
      const v = insights?.qualityScore ?? null;
      return {
        value: show(v, ''),
        thresholds: `< ${n(r.below)}, critical < ${n(r.criticalBelow)}`,
        quiet: v === null ? 'no quality score in the insights' : `${n(v)} is not below ${n(r.below)}`,
      };
    }
    case 'packet-loss': {
      const r = ruleFor(config, id, call);
      const v = insights?.packetLossPct ?? null;
      return {
        value: show(v, '%'),
        thresholds: `>= ${n(r.thresholdPct)} %, critical >= ${n(r.criticalPct)} %`,
        quiet: v === null ? 'no packet loss in the insights' : `${n(v)} % is below ${n(r.thresholdPct)} %`,
      };
    }
    case 'high-jitter': {
      const r = ruleFor(config, id, call);
      const v = insights?.jitterMs ?? null;
      return {
        value: show(v, 'ms'),
        thresholds: `>= ${n(r.thresholdMs)} ms`,
        quiet: v === null ? 'no jitter in the insights' : `${n(v)} ms is below ${n(r.thresholdMs)} ms`,
      };
    }
    case 'high-rtt': {
      const r = ruleFor(config, id, call);
      const v = insights?.rttMs ?? null;
      return {
        value: show(v, 'ms'),
        thresholds: `> ${n(r.thresholdMs)} ms`,
        quiet: v === null ? 'no RTT in the insights' : `${n(v)} ms is not above ${n(r.thresholdMs)} ms`,
      };
    }
    case 'high-post-dial-delay': {
      const r = ruleFor(config, id, call);
      const v = insights?.postDialDelayMs ?? null;
      return {
        value: show(v, 'ms'),
        thresholds: `> ${n(r.thresholdMs)} ms`,
        quiet:
          v === null
            ? 'no post-dial delay in the insights'
            : `${n(v)} ms is not above ${n(r.thresholdMs)} ms`,
      };
    }
  }
}

/** Lists the parts of a scope the call is outside of. */
function outsideOf(subject: EvaluatedCall, scope: AlertConfig['rules'][RuleId]['scope']): string {
  return `outside the rule's scope: ${describeOutside(subject.call, scope)}`;
}

export function explainRules(subject: EvaluatedCall, config: AlertConfig): RuleVerdict[] {
  return CALL_RULES.map((rule): RuleVerdict => {
    const id = rule.id;
    const settings = ruleFor(config, id, subject.call);
    const override = settings.override ? describeScope(settings.override) : null;
    const described = describe(id, subject, config);
    const base = { ruleId: id, value: described.value, thresholds: described.thresholds, override };
    const finding = rule.needsInsights && subject.insights === null ? null : rule.evaluate(subject, config);
    if (finding) {
      const levels = finding.levels;
      const why =
        levels?.setBy === 'critical'
          ? `${finding.headline}: critical (it fires at ${levels.fires.comparison} ${n(levels.fires.value as number)}${levels.fires.unit ? ` ${levels.fires.unit}` : ''})`
          : levels
            ? `${finding.headline}, not yet critical (${levels.critical.comparison} ${n(levels.critical.value as number)}${levels.critical.unit ? ` ${levels.critical.unit}` : ''})`
            : finding.headline;
      return { ...base, verdict: 'fires', severity: finding.severity, why, finding };
    }
    if (!settings.enabled) {
      return {
        ...base,
        verdict: 'disabled',
        severity: null,
        why: override
          ? `switched off for this call by the override for ${override}`
          : 'switched off in this config',
        finding: null,
      };
    }
    if (!inScope(subject.call, settings.scope)) {
      return {
        ...base,
        verdict: 'out-of-scope',
        severity: null,
        why: outsideOf(subject, settings.scope),
        finding: null,
      };
    }
    if (rule.needsInsights && subject.insights === null) {
      return {
        ...base,
        verdict: 'no-data',
        severity: null,
        why: "needs the call's insights, which Plivo does not have (yet)",
        finding: null,
      };
    }
    return { ...base, verdict: 'quiet', severity: null, why: described.quiet, finding: null };
  });
}
