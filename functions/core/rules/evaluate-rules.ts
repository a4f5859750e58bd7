import type { EvaluatedCall } from '../call';
import type { AlertConfig } from '../config/schema';
import type { Finding } from '../finding';
import { type RegisteredRule, RULES } from './registry';
import type { CallRule } from './rule';

/**
 * The registered rules in the order they judge a call (and so the order of its findings and of
 * explain's verdicts): the CDR rules first, then those that need Insights, each in registry order.
 */
export const CALL_RULES: readonly RegisteredRule[] = [
  ...RULES.filter((rule) => !rule.needsInsights),
  ...RULES.filter((rule) => rule.needsInsights),
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
