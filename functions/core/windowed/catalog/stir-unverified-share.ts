import { defineWindowedRule } from '../define-windowed-rule';

/** Share of STIR/SHAKEN Not Verified calls, e.g. per trunk or per caller-ID prefix (from_prefix). */
export const stirUnverifiedShareRule = defineWindowedRule({
  id: 'stir-unverified-share',
  defaults: {
    groupBy: ['trunk_domain'],
    aggregate: 'share',
    threshold: 0.3,
    recovery: 0.15,
    severity: 'warning',
  },
  extra: {},
  reads: 'cdr',
  firesBelow: false,
  metric: { metric: 'STIR/SHAKEN Not Verified', unit: '' },
  advice: [
    'Many calls arrive without full attestation: check the caller IDs (spoofing?) or your own outbound caller ID setup.',
  ],
  observe({ call }, atMs) {
    // Not Applicable (no US caller ID to verify) is neither good nor bad: left out.
    if (call.stirVerification !== 'verified' && call.stirVerification !== 'not-verified') return null;
    return { atMs, value: null, hit: call.stirVerification === 'not-verified' };
  },
});
