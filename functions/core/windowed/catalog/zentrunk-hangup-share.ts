import { defineWindowedRule } from '../define-windowed-rule';

/** Share (or count) of calls Zentrunk hung up with a code not in rules.zentrunk-hangup.ignoreCodes. */
export const zentrunkHangupShareRule = defineWindowedRule({
  id: 'zentrunk-hangup-share',
  defaults: {
    groupBy: ['trunk_domain'],
    aggregate: 'share',
    threshold: 0.05,
    recovery: 0.02,
    severity: 'critical',
  },
  extra: {},
  reads: 'cdr',
  firesBelow: false,
  metric: { metric: 'Zentrunk hangups', unit: '' },
  advice: [
    'Zentrunk itself is ending calls on this trunk: check status.plivo.com, the trunk configuration and its CPS/channel limits.',
  ],
  observe({ call }, atMs, config) {
    const ignored =
      call.hangupCauseCode !== null &&
      config.rules['zentrunk-hangup'].ignoreCodes.includes(call.hangupCauseCode);
    return { atMs, value: null, hit: call.hangupSource === 'zentrunk' && !ignored };
  },
});
