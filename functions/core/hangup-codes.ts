/**
 * What an on-call engineer should do about the Zentrunk hangup codes that mean "Zentrunk
 * itself ended the call". Keyed on the code, never the name: names differ between Plivo's
 * doc versions (see shared reference zentrunk-hangup-codes.md).
 */
interface HangupCodeInfo {
  name: string;
  advice: string;
}

const CODES: Record<number, HangupCodeInfo> = {
  3020: {
    name: 'rtp_timeout',
    advice: 'No media reached Zentrunk: check RTP ports and NAT/firewall pinholes on your SBC.',
  },
  3030: {
    name: 'insufficient_plivo_credits',
    advice: 'The Plivo account is out of credit: top it up now; every call will fail.',
  },
  4000: {
    name: 'bad_request',
    advice: 'Zentrunk rejected the INVITE as malformed: check SIP headers your PBX/SBC sends.',
  },
  4030: {
    name: 'insufficient_plivo_credits',
    advice: 'The Plivo account is out of credit: top it up now; every call will fail.',
  },
  4050: {
    name: 'blacklisted_for_verification',
    advice: 'The number is blocked pending verification: check the Plivo console and contact support.',
  },
  4070: {
    name: 'trunk_not_found',
    advice:
      'The trunk domain is unknown to Zentrunk: check the trunk still exists and the SBC dials the right domain.',
  },
  4080: {
    name: 'route_not_found',
    advice: "No route for this destination: check the trunk's outbound geo permissions for the country.",
  },
  4090: {
    name: 'destination_not_found',
    advice: 'Destination not found: check the dialled number format (E.164).',
  },
  4100: {
    name: 'prefix_not_supported',
    advice: 'Plivo does not terminate this prefix: check coverage for the destination.',
  },
  4110: {
    name: 'secure_trunking_disabled',
    advice: 'TLS/SRTP was used on a trunk without secure trunking: enable it or send plain SIP.',
  },
  4120: {
    name: 'destination_invalid',
    advice: 'The destination number is invalid: check number normalisation in your dial plan.',
  },
  4130: {
    name: 'incorrect_callerid_non_numeric',
    advice: 'Caller ID is not numeric: fix the From/P-Asserted-Identity your PBX sends.',
  },
  4140: { name: 'incorrect_callerid_too_short', advice: 'Caller ID too short: send full E.164 caller IDs.' },
  4330: {
    name: 'temporary_unavailable',
    advice:
      'Zentrunk could not place the call right now: if it repeats, open a Plivo support ticket with these call UUIDs.',
  },
  4540: {
    name: 'forbidden',
    advice: 'Zentrunk refused the call: check IP access control lists and credentials lists on the trunk.',
  },
  4560: {
    name: 'barred_country',
    advice: "The destination country is barred: enable it in the trunk's geo permissions if intended.",
  },
  4570: { name: 'barred_number', advice: 'The destination number is barred by Plivo.' },
  4580: {
    name: 'invalid_sip_packet',
    advice: 'Zentrunk could not parse the SIP message: capture the INVITE on your SBC.',
  },
  5010: {
    name: 'port_limit_reached',
    advice: "Port limit reached: check the account's channel limits with Plivo.",
  },
  5180: {
    name: 'cps_limit_reached',
    advice: 'Calls-per-second limit reached: spread call attempts or ask Plivo to raise the CPS limit.',
  },
  5190: {
    name: 'concurrent_call_limit_exceeded',
    advice: 'Concurrent call limit reached: ask Plivo to raise it or throttle your dialler.',
  },
  5240: {
    name: 'service_interrupted_by_nomedia',
    advice: 'The call lost media: check RTP flow, NAT keep-alives and SBC media timeouts.',
  },
  5250: {
    name: 'internal_error',
    advice: 'Plivo internal error: open a Plivo support ticket with these call UUIDs.',
  },
  5260: {
    name: 'internal_error_routing',
    advice: 'Plivo routing error: open a Plivo support ticket with these call UUIDs.',
  },
  5270: {
    name: 'internal_error_media_service',
    advice: 'Plivo media service error: open a Plivo support ticket with these call UUIDs.',
  },
  5290: {
    name: 'internal_error_trunk',
    advice:
      'Plivo trunk error: open a Plivo support ticket with these call UUIDs and check status.plivo.com.',
  },
};

export function hangupCodeInfo(code: number | null): HangupCodeInfo | null {
  if (code === null) return null;
  return CODES[code] ?? null;
}
