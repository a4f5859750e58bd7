import type { EvaluatedCall } from '../call';
import type { AlertConfig, WindowedRuleId } from '../config/schema';
import { labelsOf } from '../dimensions';
import { groupIdOf } from '../groups/group';
import type { Observation, WindowedConfigOf } from './define-windowed-rule';
import { WINDOWED_RULES, windowedRuleById } from './registry';

export type { Observation } from './define-windowed-rule';

/** Windowed rules that fire at or below their threshold (good when high); the others at or above. */
export const FIRES_BELOW: ReadonlySet<WindowedRuleId> = new Set(
  WINDOWED_RULES.filter((rule) => rule.firesBelow).map((rule) => rule.id),
);

/** How each windowed rule's value reads. */
export const WINDOW_METRIC = Object.fromEntries(
  WINDOWED_RULES.map((rule) => [rule.id, rule.metric]),
) as Record<WindowedRuleId, { metric: string; unit: string }>;

/** What a windowed rule reads from one finished call; null when the call says nothing about it. */
export function observe(id: WindowedRuleId, subject: EvaluatedCall, config: AlertConfig): Observation | null {
  if (subject.call.endTime === null) return null;
  return windowedRuleById(id).observe(
    subject,
    Date.parse(subject.call.endTime),
    config as unknown as WindowedConfigOf,
  );
}

/** The labels a windowed rule groups calls by (from_prefix: the caller ID's first digits, e.g. +1202). */
export function windowLabels(subject: EvaluatedCall, groupBy: readonly string[]): Record<string, string> {
  return labelsOf(subject.call, subject.insights, groupBy);
}

export function windowIdOf(id: WindowedRuleId, labels: Record<string, string>): string {
  return groupIdOf(`window:${id}`, labels);
}
