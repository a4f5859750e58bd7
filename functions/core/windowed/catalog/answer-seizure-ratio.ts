import { wasAnswered } from '../../call';
import { defineWindowedRule } from '../define-windowed-rule';

/** Answer-seizure ratio (answered / attempted) per destination: fires at or BELOW the threshold. */
export const answerSeizureRatioRule = defineWindowedRule({
  id: 'answer-seizure-ratio',
  defaults: {
    groupBy: ['to_country'],
    aggregate: 'share',
    threshold: 0.4,
    recovery: 0.5,
    severity: 'warning',
  },
  extra: {},
  reads: 'cdr',
  firesBelow: true,
  metric: { metric: 'answered calls', unit: '' },
  advice: [
    'Few calls to this destination are answered: test a call, check the carrier route and number formats.',
  ],
  observe({ call }, atMs) {
    return { atMs, value: null, hit: wasAnswered(call) };
  },
});
