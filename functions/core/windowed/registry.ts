import { answerSeizureRatioRule } from './catalog/answer-seizure-ratio';
import { lowQualityShareRule } from './catalog/low-quality-share';
import { packetLossSpikeRule } from './catalog/packet-loss-spike';
import { postDialDelayP95Rule } from './catalog/post-dial-delay-p95';
import { stirUnverifiedShareRule } from './catalog/stir-unverified-share';
import { zentrunkHangupShareRule } from './catalog/zentrunk-hangup-share';

/**
 * Every windowed rule, in the order the config lists them (`windowedRules.<id>`, the JSON
 * Schema, WINDOWED_RULE_IDS). A rule is one module in catalog/ exporting one descriptor
 * (define-windowed-rule.ts), registered here; test/unit/windowed/registry.test.ts fails for a
 * module left out and for a rule some part of the system does not reach.
 */
export const WINDOWED_RULES = [
  packetLossSpikeRule,
  lowQualityShareRule,
  zentrunkHangupShareRule,
  stirUnverifiedShareRule,
  answerSeizureRatioRule,
  postDialDelayP95Rule,
] as const;

export type RegisteredWindowedRule = (typeof WINDOWED_RULES)[number];

/** A registered windowed rule by id. */
export function windowedRuleById(id: string): RegisteredWindowedRule {
  const rule = WINDOWED_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no windowed rule "${id}" is registered`);
  return rule;
}
