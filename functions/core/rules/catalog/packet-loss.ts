import { insightsRule } from '../define-rule';
import { field, percent } from '../rule-schema';

/** Packet loss of the call at or above `thresholdPct`; critical at or above `criticalPct`. */
export const packetLossRule = insightsRule({
  id: 'packet-loss',
  severity: 'warning',
  fields: {
    /** Percent. Plivo grades packet loss of 0.9 % or more as bad. Fires at or above. */
    thresholdPct: field(percent, 0.9, '0.9 % (Plivo\'s "bad")'),
    /** Percent. Escalates to critical at or above (Twilio tags carriers above 5 %). */
    criticalPct: field(percent, 5, 'critical at 5 %'),
  },
  check: (r) =>
    r.criticalPct >= r.thresholdPct
      ? null
      : { path: 'criticalPct', message: 'criticalPct must not be below thresholdPct' },
  metric: 'packet loss',
  unit: '%',
  comparison: '>=',
  read: (i) => i.packetLossPct,
  threshold: (r) => r.thresholdPct,
  critical: (r) => r.criticalPct,
  nextSteps: [
    'Check the network path between your SBC/PBX and Zentrunk: link saturation, ISP loss, firewall or NAT dropping RTP.',
    'Compare the carriers in this alert: loss on one carrier only points to the carrier leg; raise a Plivo ticket with the call UUID.',
    'Check QoS/DSCP marking for RTP on your edge.',
  ],
  windowed: 'packet-loss-spike',
  docs: {
    firesWhen:
      'packet loss **at or above** `thresholdPct` (off in the shipped configs: the windowed `packet-loss-spike` judges it per trunk)',
  },
  example: { insights: { packetLossPct: 1.6 } },
});
