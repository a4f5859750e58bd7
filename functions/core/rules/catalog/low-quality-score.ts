import { insightsRule } from '../define-rule';
import { field, qualityScore } from '../rule-schema';

/** Plivo's quality score of the call (1–5) below `below`; critical below `criticalBelow`. */
export const lowQualityScoreRule = insightsRule({
  id: 'low-quality-score',
  severity: 'warning',
  fields: {
    /** Fires when plivo_quality_score < below (a score of exactly `below` does not fire). */
    below: field(qualityScore, 3),
    /** Escalates to critical when the score is below this (Plivo: 1–2 is "poor"). */
    criticalBelow: field(qualityScore, 2),
  },
  check: (r) =>
    r.criticalBelow <= r.below
      ? null
      : { path: 'criticalBelow', message: 'criticalBelow must not be above below' },
  metric: 'quality score',
  unit: '',
  comparison: '<',
  read: (i) => i.qualityScore,
  threshold: (r) => r.below,
  critical: (r) => r.criticalBelow,
  nextSteps: [
    'Read the packet loss, jitter and RTT in this alert: the worst of them is usually the cause.',
    'Check whether other calls on the same trunk or carrier are affected (a pattern means a route or network problem, a single call means the endpoint).',
    'Open the call in the Plivo console (Zentrunk > Call Logs) for the full quality breakdown.',
  ],
  windowed: 'low-quality-share',
  docs: { firesWhen: 'Insights quality score **below** `below` (exactly 3.0 does not fire)' },
  example: { insights: { qualityScore: 2.6 } },
});
