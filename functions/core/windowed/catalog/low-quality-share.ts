import * as z from 'zod/mini';
import '../../zod-locale';
import { defineWindowedRule } from '../define-windowed-rule';

/** Share of calls with a quality score below `below`. */
export const lowQualityShareRule = defineWindowedRule({
  id: 'low-quality-share',
  defaults: {
    groupBy: ['trunk_domain'],
    aggregate: 'share',
    threshold: 0.2,
    recovery: 0.1,
    severity: 'warning',
  },
  extra: { below: z._default(z.number().check(z.gt(1), z.lte(5)), 3) },
  reads: 'insights',
  firesBelow: false,
  metric: { metric: 'quality score', unit: '' },
  advice: ['Look at packet loss, jitter and RTT on these calls: one of them is usually the cause.'],
  observe({ insights }, atMs, config) {
    const score = insights?.qualityScore ?? null;
    if (score === null) return null;
    return { atMs, value: score, hit: score < (config.windowedRules['low-quality-share']?.below as number) };
  },
});
