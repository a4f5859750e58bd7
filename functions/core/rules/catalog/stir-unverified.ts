import { cdrRule } from '../define-rule';

/**
 * STIR/SHAKEN "Not Verified" (attestation B or C). "Not Applicable" (non-US or cloud calls)
 * never alerts: there is nothing to verify.
 */
export const stirUnverifiedRule = cdrRule({
  id: 'stir-unverified',
  severity: 'warning',
  fields: {},
  fires(call) {
    if (call.stirVerification !== 'not-verified') return null;
    const attestation = call.attestation ?? 'B/C';
    return {
      headline: `STIR/SHAKEN Not Verified (attestation ${attestation})`,
      measured: { metric: 'STIR/SHAKEN', value: `Not Verified (${attestation})`, unit: '' },
      threshold: { comparison: '=', value: 'Verified (A)', unit: '' },
      nextSteps:
        call.direction === 'outbound'
          ? [
              'Outbound calls get attestation A only from caller IDs you own on Plivo: check that the caller ID is a Plivo number or a verified caller ID on this account.',
              'Unverified calls are more likely to be labelled spam or blocked by US terminating carriers.',
            ]
          : [
              'The originating carrier could not fully vouch for this caller ID: treat it with suspicion (possible spoofing).',
              'If it comes from a partner you trust, ask them to fix their attestation.',
            ],
    };
  },
  describe(call) {
    return {
      value:
        call.stirVerification === null
          ? 'unknown'
          : `${call.stirVerification}${call.attestation ? ` (${call.attestation})` : ''}`,
      thresholds: 'Not Verified (attestation B or C)',
      quiet:
        call.stirVerification === 'verified'
          ? 'verified (attestation A)'
          : call.stirVerification === 'not-applicable'
            ? 'not applicable: no US caller ID to verify'
            : 'no STIR/SHAKEN result on the CDR',
    };
  },
  windowed: 'stir-unverified-share',
  docs: { firesWhen: 'STIR/SHAKEN `Not Verified` (attestation B/C); `Not Applicable` never fires' },
  example: { call: { stirVerification: 'not-verified', attestation: 'B' } },
});
