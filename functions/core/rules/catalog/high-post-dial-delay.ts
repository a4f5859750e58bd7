import { insightsRule } from '../define-rule';
import { field, milliseconds } from '../rule-schema';

/** Post-dial delay of the call above `thresholdMs`. */
export const highPostDialDelayRule = insightsRule({
  id: 'high-post-dial-delay',
  severity: 'info',
  fields: {
    /** Milliseconds from initiation to ringing. 4–5 s is the expected ceiling. Fires above. */
    thresholdMs: field(milliseconds, 5000, '5000 ms'),
  },
  metric: 'post-dial delay',
  unit: 'ms',
  comparison: '>',
  read: (i) => i.postDialDelayMs,
  threshold: (r) => r.thresholdMs,
  nextSteps: [
    'Compare post-dial delay for the same destination country across carriers: one slow carrier route is a Plivo ticket.',
    'Check whether your PBX delays the INVITE (DNS lookups, number normalisation).',
  ],
  windowed: 'post-dial-delay-p95',
  docs: { firesWhen: 'post-dial delay above `thresholdMs`' },
  example: { insights: { postDialDelayMs: 7800 } },
});
