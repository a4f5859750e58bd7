import type { ReadRange } from '../../ports';
import { evaluateCalls, type RulesContext } from './evaluate';
import { fetchInsights, type InsightsContext, type InsightsPlan } from './fetch-insights';
import { type NotifyContext, notifyFindings, type NotifyPlan } from './notify';
import { saveBatch, type SaveContext } from './save';
import type { Subject } from './subject';

/** What each stage of a batch takes from the run. */
export type BatchContext = InsightsContext & RulesContext & NotifyContext & SaveContext;

/** What the run decided before its first batch, for all of them. */
export interface BatchPlan extends NotifyPlan {
  insights: InsightsPlan;
}

/**
 * Works through one batch of calls (a slice, or the calls owed from earlier runs): insights →
 * rules → notify → save. `span` is the slice's range (null for owed calls).
 */
export async function workBatch(
  ctx: BatchContext,
  plan: BatchPlan,
  subjects: readonly Subject[],
  span: ReadRange | null,
): Promise<void> {
  const calls = await fetchInsights(ctx, plan.insights, subjects);
  const findings = evaluateCalls(ctx, calls);
  const failedCalls = await notifyFindings(ctx, plan, findings);
  await saveBatch(ctx, calls, failedCalls, span);
}
