import { defineTrafficRule, usd } from '../define-traffic-rule';
import { judgeSurge } from '../surge';

/** Outbound spend (sum of total_amount) far above the baseline, or an hourly cap: toll fraud costs by the minute. */
export const spendRule = defineTrafficRule({
  id: 'spend',
  keys: 'trunks-and-account',
  summary: "A trunk's outbound spend (total_amount) reaches a multiple of the baseline, or an hourly cap",
  needs:
    'the hourly cap (maxSpendPerHour) fires from the first run; the multiple needs 3 hours of history, then the weekly baseline',
  advice: [
    "Block the trunk's outbound calls now if the spend is not expected: toll fraud costs by the minute.",
    "Check the PBX's SIP credentials and the trunk's IP access list; rotate the credentials.",
    "Restrict Plivo's geo permissions to the countries you call; check the destinations above.",
  ],
  judge: (ctx) =>
    judgeSurge(ctx, {
      metric: 'spend',
      floor: ctx.rule.minSpend,
      cap: ctx.rule.maxSpendPerHour,
      show: usd,
      what: 'Outbound spend',
    }),
  worse: (peak, value) => value >= 2 * peak,
});
