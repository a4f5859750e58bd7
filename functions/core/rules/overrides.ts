import type { Call } from '../call';
import type { AlertConfig, RuleId, Scope } from '../config/schema';
import { describeLists } from '../dimensions';
import { inScope } from './scope';

type RuleSettings<K extends RuleId> = Omit<AlertConfig['rules'][K], 'overrides'>;

/** A rule's settings for one call: the rule's own, changed by the first override whose scope matches. */
export function ruleFor<K extends RuleId>(
  config: AlertConfig,
  id: K,
  call: Call,
): RuleSettings<K> & { override: Scope | null } {
  const { overrides, ...rule } = config.rules[id];
  const match = (overrides as ReadonlyArray<{ scope: Scope }>).find((o) => inScope(call, o.scope));
  if (!match) return { ...(rule as RuleSettings<K>), override: null };
  const { scope, ...changes } = match;
  const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  return { ...(rule as RuleSettings<K>), ...defined, override: scope };
}

/** "trunk acme.zt.plivo.com, country GB" — how an alert names the override it was judged by. */
export function describeScope(scope: Scope): string {
  return describeLists(scope);
}
