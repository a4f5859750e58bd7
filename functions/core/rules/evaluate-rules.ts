import type { EvaluatedCall } from '../call';
import type { AlertConfig } from '../config/schema';
import type { Finding } from '../finding';
import { zentrunkHangupRule } from './hangup-rule';
import {
  highJitterRule,
  highPostDialDelayRule,
  highRttRule,
  lowQualityScoreRule,
  packetLossRule,
} from './quality-rules';
import type { CallRule } from './rule';
import { stirUnverifiedRule } from './stir-rule';

export const CALL_RULES: readonly CallRule[] = [
  zentrunkHangupRule,
  stirUnverifiedRule,
  lowQualityScoreRule,
  packetLossRule,
  highJitterRule,
  highRttRule,
  highPostDialDelayRule,
];

/**
 * Runs every enabled rule over the calls. Rules that need insights are skipped for a call
 * whose insights are not known (yet); CDR rules always run, so a Zentrunk hangup alerts
 * without waiting for insights that may never come for a call that never connected.
 */
export function evaluateRules(
  calls: readonly EvaluatedCall[],
  config: AlertConfig,
  rules: readonly CallRule[] = CALL_RULES,
): Finding[] {
  const findings: Finding[] = [];
  for (const subject of calls) {
    for (const rule of rules) {
      if (rule.needsInsights && subject.insights === null) continue;
      const finding = rule.evaluate(subject, config);
      if (finding) findings.push(finding);
    }
  }
  return findings;
}
