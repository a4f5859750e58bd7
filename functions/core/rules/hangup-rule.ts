import type { Finding } from '../finding';
import { hangupCodeInfo } from '../hangup-codes';
import type { CallRule } from './rule';
import { describeScope, ruleFor } from './overrides';
import { inScope } from './scope';

/** Zentrunk itself ended the call: Plivo's platform, not your PBX and not the carrier. */
export const zentrunkHangupRule: CallRule = {
  id: 'zentrunk-hangup',
  needsInsights: false,
  evaluate({ call, insights }, config) {
    const r = ruleFor(config, 'zentrunk-hangup', call);
    if (!r.enabled || call.hangupSource !== 'zentrunk' || !inScope(call, r.scope)) return null;
    if (call.hangupCauseCode !== null && r.ignoreCodes.includes(call.hangupCauseCode)) return null;
    const info = hangupCodeInfo(call.hangupCauseCode);
    const name = call.hangupCauseName ?? info?.name ?? 'unknown cause';
    const code = call.hangupCauseCode === null ? 'no code' : String(call.hangupCauseCode);
    const finding: Finding = {
      ruleId: 'zentrunk-hangup',
      severity: r.severity,
      headline: `hung up by Zentrunk: ${code} ${name}`,
      measured: { metric: 'hangup', value: `${code} ${name}`, unit: '' },
      threshold: { comparison: '=', value: 'hangup_source zentrunk', unit: '' },
      call,
      insights,
      nextSteps: [
        info?.advice ?? `Look up hangup code ${code} in Plivo's Zentrunk hangup code reference.`,
        'Check status.plivo.com for an ongoing incident, and whether other calls on this trunk fail the same way.',
      ],
      override: r.override ? describeScope(r.override) : null,
    };
    return finding;
  },
};
