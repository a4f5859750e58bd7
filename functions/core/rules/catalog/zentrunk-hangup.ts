import * as z from 'zod/mini';
import { hangupCodeInfo } from '../../hangup-codes';
import { cdrRule } from '../define-rule';
import { field } from '../rule-schema';

const hangupCodes = z.array(z.number().check(z.int(), z.minimum(1000), z.maximum(9999)));

/** Zentrunk itself ended the call: Plivo's platform, not your PBX and not the carrier. */
export const zentrunkHangupRule = cdrRule({
  id: 'zentrunk-hangup',
  severity: 'critical',
  fields: {
    /**
     * Hangup cause codes that never alert even when Zentrunk hung up. Default: normal
     * hangups and the outcomes Plivo calls normal (busy, temporarily unavailable, cancelled).
     */
    ignoreCodes: field(
      hangupCodes,
      [3000, 3010, 4410, 4340, 4550],
      'ignores 3000, 3010, 4410, 4340, 4550 (normal outcomes)',
    ),
  },
  fires(call, r) {
    if (call.hangupSource !== 'zentrunk') return null;
    if (call.hangupCauseCode !== null && r.ignoreCodes.includes(call.hangupCauseCode)) return null;
    const info = hangupCodeInfo(call.hangupCauseCode);
    const name = call.hangupCauseName ?? info?.name ?? 'unknown cause';
    const code = call.hangupCauseCode === null ? 'no code' : String(call.hangupCauseCode);
    return {
      headline: `hung up by Zentrunk: ${code} ${name}`,
      measured: { metric: 'hangup', value: `${code} ${name}`, unit: '' },
      threshold: { comparison: '=', value: 'hangup_source zentrunk', unit: '' },
      nextSteps: [
        info?.advice ?? `Look up hangup code ${code} in Plivo's Zentrunk hangup code reference.`,
        'Check status.plivo.com for an ongoing incident, and whether other calls on this trunk fail the same way.',
      ],
    };
  },
  describe(call, r) {
    const code = call.hangupCauseCode;
    return {
      value:
        `${code ?? 'no code'} ${call.hangupCauseName ?? ''} by ${call.hangupSource ?? 'unknown'}`.replace(
          /\s+/g,
          ' ',
        ),
      thresholds: `by zentrunk, not ${r.ignoreCodes.join('/')}`,
      quiet:
        call.hangupSource !== 'zentrunk'
          ? `hung up by ${call.hangupSource ?? 'an unknown party'}, not by Zentrunk`
          : `code ${code} is in ignoreCodes (a normal outcome)`,
    };
  },
  windowed: 'zentrunk-hangup-share',
  docs: { firesWhen: '`hangup_source` is Zentrunk and the code is not in `ignoreCodes`' },
  example: { call: { hangupSource: 'zentrunk', hangupCauseCode: 3020, hangupCauseName: 'rtp_timeout' } },
});
