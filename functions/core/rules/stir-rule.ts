import type { Finding } from '../finding';
import type { CallRule } from './rule';
import { describeScope, ruleFor } from './overrides';
import { inScope } from './scope';

/**
 * STIR/SHAKEN "Not Verified" (attestation B or C). "Not Applicable" (non-US or cloud calls)
 * never alerts: there is nothing to verify.
 */
export const stirUnverifiedRule: CallRule = {
  id: 'stir-unverified',
  needsInsights: false,
  evaluate({ call, insights }, config) {
    const r = ruleFor(config, 'stir-unverified', call);
    if (!r.enabled || call.stirVerification !== 'not-verified' || !inScope(call, r.scope)) return null;
    const attestation = call.attestation ?? 'B/C';
    const outbound = call.direction === 'outbound';
    const finding: Finding = {
      ruleId: 'stir-unverified',
      severity: r.severity,
      headline: `STIR/SHAKEN Not Verified (attestation ${attestation})`,
      measured: { metric: 'STIR/SHAKEN', value: `Not Verified (${attestation})`, unit: '' },
      threshold: { comparison: '=', value: 'Verified (A)', unit: '' },
      call,
      insights,
      nextSteps: outbound
        ? [
            'Outbound calls get attestation A only from caller IDs you own on Plivo: check that the caller ID is a Plivo number or a verified caller ID on this account.',
            'Unverified calls are more likely to be labelled spam or blocked by US terminating carriers.',
          ]
        : [
            'The originating carrier could not fully vouch for this caller ID: treat it with suspicion (possible spoofing).',
            'If it comes from a partner you trust, ask them to fix their attestation.',
          ],
      override: r.override ? describeScope(r.override) : null,
    };
    return finding;
  },
};
