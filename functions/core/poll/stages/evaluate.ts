import type { AlertConfig } from '../../config/schema';
import type { Finding } from '../../finding';
import { evaluateRules } from '../../rules/evaluate-rules';
import { increment, type PollSummary } from '../run-context';
import type { JudgedCall } from './subject';

export interface RulesContext {
  config: AlertConfig;
  summary: PollSummary;
}

/** A finding of the batch, with what its alert says about the call's Insights. */
export interface BatchFinding {
  finding: Finding;
  insightsGaveUp: boolean;
}

/** Runs the rules over each call of the batch, in order, and counts what they found. */
export function evaluateCalls(ctx: RulesContext, calls: readonly JudgedCall[]): BatchFinding[] {
  const out: BatchFinding[] = [];
  for (const item of calls) {
    for (const finding of evaluateRules([item.evaluated], ctx.config)) {
      ctx.summary.findings += 1;
      increment(ctx.summary.findingsByRule, finding.ruleId);
      out.push({ finding, insightsGaveUp: item.evaluated.insightsGaveUp });
    }
  }
  return out;
}
