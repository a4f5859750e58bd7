import { newDestinationRule } from './catalog/new-destination';
import { spendRule } from './catalog/spend';
import { trafficDropRule } from './catalog/traffic-drop';
import { trafficSurgeRule } from './catalog/traffic-surge';
import type { TrafficRuleDescriptor } from './define-traffic-rule';
import { TRAFFIC_RULE_IDS, type TrafficRuleId } from './traffic-config';

/**
 * Every traffic rule (one module each in catalog/), in the order of TRAFFIC_RULE_IDS (the config's
 * `trafficRules`). test/unit/traffic/registry.test.ts fails for a rule left out.
 */
export const TRAFFIC_RULES = [trafficDropRule, trafficSurgeRule, spendRule, newDestinationRule] as const;

export function trafficRuleById<Id extends TrafficRuleId>(id: Id): TrafficRuleDescriptor<Id> {
  const rule = TRAFFIC_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no traffic rule "${id}" is registered`);
  return rule as unknown as TrafficRuleDescriptor<Id>;
}

export { TRAFFIC_RULE_IDS };
