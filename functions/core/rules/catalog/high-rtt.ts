import { insightsRule } from '../define-rule';
import { field, milliseconds } from '../rule-schema';

/** Round-trip time of the call above `thresholdMs`. */
export const highRttRule = insightsRule({
  id: 'high-rtt',
  severity: 'warning',
  fields: {
    /** Milliseconds. Plivo grades RTT above 300 ms as bad. Fires above. */
    thresholdMs: field(milliseconds, 300, '300 ms'),
  },
  metric: 'round-trip time',
  noun: 'RTT',
  unit: 'ms',
  comparison: '>',
  read: (i) => i.rttMs,
  threshold: (r) => r.thresholdMs,
  nextSteps: [
    'Check that your SBC uses the Zentrunk region nearest to it (the trunk domain names the region).',
    'Trace the route to the Zentrunk media servers for detours or a VPN hop.',
  ],
  docs: { firesWhen: 'RTT above `thresholdMs`' },
  example: { insights: { rttMs: 412 } },
});
