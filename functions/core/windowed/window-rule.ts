import { labelsMatch } from '../dimensions';
import type { AlertConfig, Scope, WindowedRuleId, WindowedRulesConfig } from '../config/schema';

export type WindowRule = Omit<WindowedRulesConfig[WindowedRuleId], 'overrides'> & { override: Scope | null };

/** A windowed rule's settings for one group: its own, changed by the first override whose scope matches. */
export function windowRuleFor(
  config: AlertConfig,
  id: WindowedRuleId,
  labels: Record<string, string>,
): WindowRule {
  const { overrides, ...rule } = config.windowedRules[id];
  const match = overrides.find((o) => labelsMatch(labels, o.scope));
  if (!match) return { ...rule, override: null };
  const { scope, ...changes } = match;
  const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  return { ...rule, ...defined, override: scope };
}
