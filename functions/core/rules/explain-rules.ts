import type { EvaluatedCall } from '../call';
import type { AlertConfig, RuleId, Severity } from '../config/schema';
import { describeOutside } from '../dimensions';
import type { Finding } from '../finding';
import { CALL_RULES } from './evaluate-rules';
import { formatNumber } from './define-rule';
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

const n = formatNumber;

/** Lists the parts of a scope the call is outside of. */
function outsideOf(subject: EvaluatedCall, scope: AlertConfig['rules'][RuleId]['scope']): string {
  return `outside the rule's scope: ${describeOutside(subject.call, scope)}`;
}

export function explainRules(subject: EvaluatedCall, config: AlertConfig): RuleVerdict[] {
  return CALL_RULES.map((rule): RuleVerdict => {
    const id = rule.id;
    const settings = ruleFor(config, id, subject.call);
    const override = settings.override ? describeScope(settings.override) : null;
    const described = rule.describe(subject, config);
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
