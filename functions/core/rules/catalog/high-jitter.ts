import { insightsRule } from '../define-rule';
import { field, milliseconds } from '../rule-schema';

/** Jitter of the call at or above `thresholdMs`. */
export const highJitterRule = insightsRule({
  id: 'high-jitter',
  severity: 'warning',
  fields: {
    /** Milliseconds. Plivo, Twilio and Cisco grade 30 ms or more as bad. Fires at or above. */
    thresholdMs: field(milliseconds, 30, '30 ms'),
  },
  metric: 'jitter',
  unit: 'ms',
  comparison: '>=',
  read: (i) => i.jitterMs,
  threshold: (r) => r.thresholdMs,
  nextSteps: [
    'Look for congestion on the path to Zentrunk and check that RTP is prioritised (QoS/DSCP EF).',
    'Check the SBC jitter buffer and CPU load at the call time.',
  ],
  docs: { firesWhen: 'jitter at or above `thresholdMs`' },
  example: { insights: { jitterMs: 41 } },
});
