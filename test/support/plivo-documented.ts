/**
 * Plivo's documented example payloads, shared by the payload tests: the call object example of
 * Plivo's Zentrunk API reference ("The Zentrunk Call object", "Retrieve details of all calls") and
 * the example of its Call Insights page; docs/plivo-api.md keeps the facts a maintainer needs.
 */

/** The call object example of the current docs. */
export const DOCUMENTED_CALL = {
  call_uuid: '90b6eb07-796c-4d86-a4fd-44ed11667ddb',
  from_number: '+12025551234',
  to_number: '+13128574907',
  call_direction: 'outbound',
  call_duration: 180,
  bill_duration: 180,
  billed_duration: 180,
  end_time: '2024-01-15 14:32:00',
  hangup_cause_name: 'normal_hangup',
  hangup_source: 'carrier',
  total_rate: '0.00500',
  total_amount: '0.01500',
  initiation_time: '2024-01-15 14:28:48',
  answer_time: '2024-01-15 14:29:00',
  trunk_domain: '93667062664669661.zt.plivo.com',
  from_country: 'US',
  to_country: 'US',
  transport_protocol: 'udp',
  srtp: false,
  hangup_cause_code: 3000,
  secure_trunking: false,
  secure_trunking_rate: '0.00000',
  stir_verification: 'Verified',
  attestation_indicator: 'A',
};

/** The Insights example of the docs, for any call uuid. */
export function documentedInsights(callUuid: string) {
  return {
    api_id: 'a63df7e3-9f24-4aae-2152-dc8f92548290',
    call_uuid: callUuid,
    from: { carrier: 'Verizon Wireless', number: '+12025551234', region: 'US' },
    to: { carrier: 'AT&T', number: '+13128574907', region: 'US' },
    hangup_cause: 'normal_hangup',
    hangup_source: 'customer',
    rtt: '24',
    jitter: '3',
    packet_loss: '0',
    post_dial_delay: 1000.0,
    plivo_quality_score: '4.2',
  };
}
