import { calls, defineTrafficRule } from '../define-traffic-rule';
import { judgeSurge } from '../surge';

/** Outbound calls far above the baseline (or an hourly cap): a pumping PBX, a dialler gone wild. */
export const trafficSurgeRule = defineTrafficRule({
  id: 'traffic-surge',
  keys: 'trunks-and-account',
  summary: "A trunk's outbound calls reach a multiple of the baseline, or an hourly cap",
  needs:
    'the hourly cap (maxCallsPerHour) fires from the first run; the multiple needs 3 hours of history, then the weekly baseline',
  advice: [
    "If nobody expects this volume: block the trunk's outbound calls (disable the trunk or its termination) while you look.",
    "Check the PBX's SIP credentials and the trunk's IP access list for a leaked secret; rotate them.",
    "Review Plivo's geo permissions for the destinations involved.",
  ],
  judge: (ctx) =>
    judgeSurge(ctx, {
      metric: 'outbound',
      floor: ctx.rule.minCalls,
      cap: ctx.rule.maxCallsPerHour,
      show: calls,
      what: 'Outbound calls',
    }),
  worse: (peak, value) => value >= 2 * peak,
});
