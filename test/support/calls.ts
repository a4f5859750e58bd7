import type { Call, CallInsights, EvaluatedCall } from '../../functions/core/call';

let counter = 0;

/** A healthy, answered outbound US call; override what a test is about. */
export function makeCall(overrides: Partial<Call> = {}): Call {
  counter += 1;
  const uuid = `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  return {
    callUuid: uuid,
    sipCallId: null,
    fromNumber: '+12025551234',
    toNumber: '+13128574907',
    direction: 'outbound',
    durationSec: 180,
    billDurationSec: 180,
    initiationTime: '2024-01-15T14:28:48.000Z',
    answerTime: '2024-01-15T14:29:00.000Z',
    endTime: '2024-01-15T14:32:00.000Z',
    hangupCauseCode: 3000,
    hangupCauseName: 'normal_hangup',
    hangupSource: 'carrier',
    trunkDomain: '93667062664669661.zt.plivo.com',
    trunkId: null,
    region: null,
    fromCountry: 'US',
    toCountry: 'US',
    transportProtocol: 'udp',
    srtp: false,
    secureTrunking: false,
    stirVerification: 'verified',
    attestation: 'A',
    ratePerMinute: 0.005,
    totalAmount: 0.015,
    ...overrides,
  };
}

export function makeInsights(callUuid: string, overrides: Partial<CallInsights> = {}): CallInsights {
  return {
    callUuid,
    from: { carrier: 'Verizon Wireless', number: '+12025551234', region: 'US' },
    to: { carrier: 'AT&T', number: '+13128574907', region: 'US' },
    hangupCause: 'normal_hangup',
    hangupSource: 'carrier',
    rttMs: 24,
    jitterMs: 3,
    packetLossPct: 0,
    postDialDelayMs: 1000,
    qualityScore: 4.2,
    ...overrides,
  };
}

export function evaluated(
  callOverrides: Partial<Call> = {},
  insightsOverrides: Partial<CallInsights> | null = {},
): EvaluatedCall {
  const call = makeCall(callOverrides);
  return {
    call,
    insights: insightsOverrides === null ? null : makeInsights(call.callUuid, insightsOverrides),
    insightsGaveUp: false,
  };
}
