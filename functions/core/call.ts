/**
 * The one internal shape of a Zentrunk call and its insights. Every payload variant Plivo
 * has documented (current and legacy names, numbers as strings, "null") is normalised into
 * these types by `adapters/plivo/payload-schemas.ts`; nothing past that module knows the quirks.
 */

export type CallDirection = 'inbound' | 'outbound';
export type HangupSource = 'customer' | 'carrier' | 'zentrunk';
export type StirVerification = 'verified' | 'not-verified' | 'not-applicable';
export type Attestation = 'A' | 'B' | 'C';

export interface Call {
  callUuid: string;
  /** SIP Call-ID when Plivo sends it. */
  sipCallId: string | null;
  /** E.164 with a leading '+' (legacy payloads send bare digits; they are given the '+'). */
  fromNumber: string | null;
  toNumber: string | null;
  direction: CallDirection | null;
  /** Talk time in seconds (`call_duration`, legacy `duration`). */
  durationSec: number | null;
  billDurationSec: number | null;
  /** ISO 8601 UTC instants (`2024-01-15T14:32:00.000Z`). */
  initiationTime: string | null;
  answerTime: string | null;
  endTime: string | null;
  hangupCauseCode: number | null;
  hangupCauseName: string | null;
  hangupSource: HangupSource | null;
  trunkDomain: string | null;
  trunkId: string | null;
  region: string | null;
  fromCountry: string | null;
  toCountry: string | null;
  transportProtocol: string | null;
  srtp: boolean | null;
  secureTrunking: boolean | null;
  stirVerification: StirVerification | null;
  attestation: Attestation | null;
  /** USD per minute and total, as numbers. */
  ratePerMinute: number | null;
  totalAmount: number | null;
}

export interface CallParty {
  carrier: string | null;
  number: string | null;
  region: string | null;
}

export interface CallInsights {
  callUuid: string;
  from: CallParty;
  to: CallParty;
  hangupCause: string | null;
  hangupSource: string | null;
  rttMs: number | null;
  jitterMs: number | null;
  /** Percent, 0–100. */
  packetLossPct: number | null;
  postDialDelayMs: number | null;
  /** Plivo quality score, 1–5. */
  qualityScore: number | null;
}

/** A call together with what is known of its insights at evaluation time. */
export interface EvaluatedCall {
  call: Call;
  insights: CallInsights | null;
  /** True when insights never became available and the call is judged on its CDR alone. */
  insightsGaveUp: boolean;
}

/** Whether the call was answered: the one definition (Plivo sets answer_time when it was). */
export function wasAnswered(call: Pick<Call, 'answerTime'>): boolean {
  return call.answerTime !== null;
}

/** A call that carried no media: never answered and no talk time. */
export function carriedNoMedia(call: Pick<Call, 'answerTime' | 'durationSec'>): boolean {
  return !wasAnswered(call) && (call.durationSec ?? 0) === 0;
}
