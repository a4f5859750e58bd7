import { defineWindowedRule } from '../define-windowed-rule';

/** Post-dial delay per destination, in ms (p95 by default). */
export const postDialDelayP95Rule = defineWindowedRule({
  id: 'post-dial-delay-p95',
  defaults: {
    groupBy: ['to_country'],
    aggregate: 'p95',
    threshold: 6000,
    recovery: 4500,
    severity: 'warning',
  },
  extra: {},
  reads: 'insights',
  firesBelow: false,
  metric: { metric: 'post-dial delay', unit: 'ms' },
  advice: ['Calls to this destination ring late: compare carriers for this route and raise a Plivo ticket.'],
  observe({ insights }, atMs) {
    const pdd = insights?.postDialDelayMs ?? null;
    return pdd === null ? null : { atMs, value: pdd, hit: false };
  },
});
