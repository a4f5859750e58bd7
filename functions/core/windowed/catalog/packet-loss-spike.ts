import * as z from 'zod/mini';
import '../../zod-locale';
import { defineWindowedRule } from '../define-windowed-rule';

/** Share of calls with packet loss >= perCallThresholdPct (or mean/p95 loss, in %). */
export const packetLossSpikeRule = defineWindowedRule({
  id: 'packet-loss-spike',
  defaults: {
    groupBy: ['trunk_domain'],
    aggregate: 'share',
    threshold: 0.2,
    recovery: 0.1,
    severity: 'critical',
  },
  extra: { perCallThresholdPct: z._default(z.number().check(z.gt(0), z.lte(100)), 0.9) },
  reads: 'insights',
  firesBelow: false,
  metric: { metric: 'packet loss', unit: '%' },
  advice: [
    'Many calls on this route lose packets at once: check the carrier leg and your network edge (saturation, ISP loss).',
    'Open a Plivo ticket with a few of the call UUIDs if your side is clean.',
  ],
  observe({ insights }, atMs, config) {
    const loss = insights?.packetLossPct ?? null;
    if (loss === null) return null;
    const perCall = config.windowedRules['packet-loss-spike']?.perCallThresholdPct as number;
    return { atMs, value: loss, hit: loss >= perCall };
  },
});
