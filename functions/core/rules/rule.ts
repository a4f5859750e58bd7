import type { EvaluatedCall } from '../call';
import type { AlertConfig } from '../config/schema';
import type { Finding } from '../finding';

/**
 * A per-call rule: a pure function of one normalised call (+ insights) and the config.
 * `needsInsights` rules are only asked once insights are known.
 */
export interface CallRule {
  id: keyof AlertConfig['rules'];
  needsInsights: boolean;
  evaluate(subject: EvaluatedCall, config: AlertConfig): Finding | null;
}
