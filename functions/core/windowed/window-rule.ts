import type { AlertConfig, Scope, WindowedRuleId, WindowedRulesConfig } from '../config/schema';

export type WindowRule = Omit<WindowedRulesConfig[WindowedRuleId], 'overrides'> & { override: Scope | null };

/** Does a group, known only by its labels, fall in the scope? A scope field the labels lack never matches. */
function labelsInScope(labels: Record<string, string>, scope: Scope): boolean {
  if (scope.trunkDomains && !(labels.trunk_domain && scope.trunkDomains.includes(labels.trunk_domain)))
    return false;
  if (scope.directions && !(labels.direction && (scope.directions as string[]).includes(labels.direction))) {
    return false;
  }
  if (scope.countries) {
    const listed = scope.countries;
    if (![labels.to_country, labels.from_country].some((c) => c !== undefined && listed.includes(c)))
      return false;
  }
  return true;
}

/** A windowed rule's settings for one group: its own, changed by the first override whose scope matches. */
export function windowRuleFor(
  config: AlertConfig,
  id: WindowedRuleId,
  labels: Record<string, string>,
): WindowRule {
  const { overrides, ...rule } = config.windowedRules[id];
  const match = overrides.find((o) => labelsInScope(labels, o.scope));
  if (!match) return { ...rule, override: null };
  const { scope, ...changes } = match;
  const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  return { ...rule, ...defined, override: scope };
}
