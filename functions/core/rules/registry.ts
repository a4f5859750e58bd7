import { highJitterRule } from './catalog/high-jitter';
import { highPostDialDelayRule } from './catalog/high-post-dial-delay';
import { highRttRule } from './catalog/high-rtt';
import { lowQualityScoreRule } from './catalog/low-quality-score';
import { packetLossRule } from './catalog/packet-loss';
import { stirUnverifiedRule } from './catalog/stir-unverified';
import { zentrunkHangupRule } from './catalog/zentrunk-hangup';

/**
 * Every per-call rule, in the order the config lists them (`rules.<id>`, the JSON Schema,
 * `RULE_IDS`, docs/rules.md). A rule is one module in catalog/ exporting one descriptor
 * (define-rule.ts), registered here; test/unit/rules/registry.test.ts fails for a module
 * left out and for a rule some part of the system does not reach.
 */
export const RULES = [
  lowQualityScoreRule,
  packetLossRule,
  zentrunkHangupRule,
  stirUnverifiedRule,
  highJitterRule,
  highRttRule,
  highPostDialDelayRule,
] as const;

export type RegisteredRule = (typeof RULES)[number];
