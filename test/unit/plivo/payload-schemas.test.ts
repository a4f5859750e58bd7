import {
  normalizeCall,
  normalizeInsights,
  normalizePhoneNumber,
  parseListEnvelope,
  parsePlivoTime,
} from '../../../functions/adapters/plivo/payload-schemas';
import type { Call, CallInsights } from '../../../functions/core/call';
import { DOCUMENTED_CALL, documentedInsights } from '../../support/plivo-documented';

function okCall(raw: unknown): Call {
  const result = normalizeCall(raw);
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.call;
}

function okInsights(raw: unknown, uuid: string): CallInsights {
  const result = normalizeInsights(raw, uuid);
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.insights;
}

const CURRENT = DOCUMENTED_CALL;

const EXPECTED: Call = {
  callUuid: '90b6eb07-796c-4d86-a4fd-44ed11667ddb',
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
};

function without<T extends Record<string, unknown>>(obj: T, ...keys: string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...obj };
  for (const key of keys) delete copy[key];
  return copy;
}

describe('normalizeCall', () => {
  it('normalises the current docs example', () => {
    expect(okCall(CURRENT)).toEqual(EXPECTED);
  });

  describe('every documented variant of the same call gives the same Call', () => {
    const variants: Record<string, Record<string, unknown>> = {
      'numbers as strings': {
        ...CURRENT,
        call_duration: '180',
        bill_duration: '180',
        billed_duration: '180',
        hangup_cause_code: '3000',
      },
      'prices as numbers': { ...CURRENT, total_rate: 0.005, total_amount: 0.015 },
      'legacy field names and types': {
        ...without(
          CURRENT,
          'call_duration',
          'billed_duration',
          'hangup_cause_name',
          'hangup_cause_code',
          'hangup_source',
          'total_rate',
          'attestation_indicator',
        ),
        from_number: 12025551234,
        to_number: 13128574907,
        duration: '180',
        hangup_cause: 'normal_hangup',
        hangup_code: 3000,
        hangup_initiator: 'carrier',
        rate: 0.005,
        total_amount: 0.015,
        secure_trunking: 'false',
        secure_trunking_rate: 0,
        attestation_indicator: 'A',
      },
      'only billed_duration': without(CURRENT, 'bill_duration'),
      'typographic quotes around a key (docs example)': {
        ...without(CURRENT, 'bill_duration', 'billed_duration'),
        '“billed_duration”': 180,
      },
      'ISO times with Z': {
        ...CURRENT,
        end_time: '2024-01-15T14:32:00Z',
        initiation_time: '2024-01-15T14:28:48.000Z',
        answer_time: '2024-01-15T14:29:00+00:00',
      },
      'times with an offset, microseconds, or minutes only': {
        ...CURRENT,
        end_time: '2024-01-15T09:32:00-05:00',
        initiation_time: '2024-01-15 14:28:48.000000',
        answer_time: '2024-01-15 14:29',
      },
      'upper/lower case enums': {
        ...CURRENT,
        call_direction: 'OUTBOUND',
        hangup_source: 'Carrier',
        stir_verification: 'VERIFIED',
        attestation_indicator: 'a',
        transport_protocol: 'UDP',
        from_country: 'us',
      },
      'unknown extra fields': {
        ...CURRENT,
        cnam_lookup: 'disabled',
        cnam_lookup_rate: '0.0',
        brand_new_field: { nested: [1, 2, 3] },
      },
      'formatted phone numbers': { ...CURRENT, from_number: '+1 (202) 555-1234', to_number: '13128574907' },
    };

    it.each(Object.entries(variants))('%s', (_name, raw) => {
      expect(okCall(raw)).toEqual(EXPECTED);
    });
  });

  it('normalises the second list example of the current docs (Not Applicable, "null" attestation, trunk_id)', () => {
    const raw = {
      call_uuid: '0b6eb07-796c-4d86-a4fd-44ed11667ddbe',
      from_number: '+912235328936',
      to_number: '+919943720205',
      call_direction: 'outbound',
      trunk_id: '0b6eb07-796c-4d86-a4fd-44ed11667ddb',
      call_duration: 4,
      bill_duration: 4,
      end_time: '2022-12-06 07:02:00',
      hangup_cause_name: 'normal_hangup',
      hangup_source: 'carrier',
      total_rate: '0.03000',
      total_amount: '0.00200',
      '“billed_duration”': 60,
      stir_verification: 'Not Applicable',
      attestation_indicator: 'null',
    };
    expect(okCall(raw)).toMatchObject({
      callUuid: '0b6eb07-796c-4d86-a4fd-44ed11667ddbe',
      trunkId: '0b6eb07-796c-4d86-a4fd-44ed11667ddb',
      // bill_duration wins over billed_duration when both are sent.
      billDurationSec: 4,
      stirVerification: 'not-applicable',
      attestation: null,
      ratePerMinute: 0.03,
      totalAmount: 0.002,
      endTime: '2022-12-06T07:02:00.000Z',
    });
  });

  it('reads lower-case "not applicable" (Call object docs)', () => {
    expect(okCall({ ...CURRENT, stir_verification: 'not applicable' }).stirVerification).toBe(
      'not-applicable',
    );
    expect(okCall({ ...CURRENT, stir_verification: 'Not Verified' }).stirVerification).toBe('not-verified');
    expect(okCall({ ...CURRENT, stir_verification: 'not_verified' }).stirVerification).toBe('not-verified');
  });

  it('normalises the legacy docs example', () => {
    const legacy = {
      call_uuid: '6c3a8b60-26e0-4842-9387-2350de79f16b',
      bill_duration: 7200,
      trunk_id: '126041xxxx',
      end_time: '2022-05-26 13:32:37',
      from_number: 552135006716,
      to_number: 12604109832,
      call_direction: 'outbound',
      duration: 28,
      hangup_cause: 'normal_hangup',
      hangup_initiator: 'customer',
      rate: 0.318,
      total_amount: 0.318,
      initiation_time: '2022-05-26 13:32:06',
      answer_time: '2022-05-26 13:32:09',
      trunk_domain: '',
      region: 'us-east-1',
      from_country: 'BR',
      to_country: 'US',
      transport_protocol: 'udp',
      srtp: false,
      hangup_code: 3010,
      secure_trunking: true,
      secure_trunking_rate: 0,
      stir_verification: 'Not Verified',
    };
    expect(okCall(legacy)).toEqual<Call>({
      callUuid: '6c3a8b60-26e0-4842-9387-2350de79f16b',
      sipCallId: null,
      fromNumber: '+552135006716',
      toNumber: '+12604109832',
      direction: 'outbound',
      durationSec: 28,
      billDurationSec: 7200,
      initiationTime: '2022-05-26T13:32:06.000Z',
      answerTime: '2022-05-26T13:32:09.000Z',
      endTime: '2022-05-26T13:32:37.000Z',
      hangupCauseCode: 3010,
      hangupCauseName: 'normal_hangup',
      hangupSource: 'customer',
      trunkDomain: null,
      trunkId: '126041xxxx',
      region: 'us-east-1',
      fromCountry: 'BR',
      toCountry: 'US',
      transportProtocol: 'udp',
      srtp: false,
      secureTrunking: true,
      stirVerification: 'not-verified',
      attestation: null,
      ratePerMinute: 0.318,
      totalAmount: 0.318,
    });
    // The legacy Call object docs misspell to_country.
    expect(okCall({ ...without(legacy, 'to_country'), to_counrty: 'us' }).toCountry).toBe('US');
  });

  it('reads the SIP Call-ID of production records', () => {
    expect(okCall({ ...CURRENT, call_id: 'a84b4c76e66710@pc33.example.com' }).sipCallId).toBe(
      'a84b4c76e66710@pc33.example.com',
    );
  });

  it('turns "null", "" and null into null', () => {
    const call = okCall({
      ...CURRENT,
      answer_time: 'null',
      hangup_cause_code: '',
      trunk_domain: null,
      srtp: 'NULL',
      total_rate: ' ',
    });
    expect(call).toMatchObject({
      answerTime: null,
      hangupCauseCode: null,
      trunkDomain: null,
      srtp: null,
      ratePerMinute: null,
    });
  });

  it('skips a record whose end_time cannot be read: it cannot be placed in a window', () => {
    for (const end_time of ['yesterday', '0000-00-00 00:00:00', null, 'null', { at: 1 }]) {
      expect(normalizeCall({ ...CURRENT, end_time })).toEqual({
        ok: false,
        reason: 'end_time: missing or not a valid time',
        callUuid: CURRENT.call_uuid,
      });
    }
  });

  it('keeps the call but nulls fields whose type drifted', () => {
    const call = okCall({
      ...CURRENT,
      call_duration: { seconds: 180 },
      bill_duration: -5,
      srtp: 'maybe',
      answer_time: '0000-00-00 00:00:00',
      initiation_time: '2024-02-30 10:00:00',
      hangup_cause_code: 30.5,
      hangup_source: 'alien',
      from_number: 'sip:alice@example.com',
      to_number: ['+13128574907'],
      from_country: 'USA',
      total_amount: 'free',
      stir_verification: 42,
      attestation_indicator: 'D',
      call_direction: 'sideways',
    });
    expect(call).toEqual<Call>({
      ...EXPECTED,
      durationSec: null,
      // billed_duration is still valid and fills in.
      billDurationSec: 180,
      srtp: null,
      answerTime: null,
      initiationTime: null,
      hangupCauseCode: null,
      hangupSource: null,
      fromNumber: null,
      toNumber: null,
      fromCountry: null,
      totalAmount: null,
      stirVerification: null,
      attestation: null,
      direction: null,
    });
  });

  it.each<[string, unknown]>([
    ['missing', without(CURRENT, 'call_uuid')],
    ['empty', { ...CURRENT, call_uuid: '' }],
    ['blank', { ...CURRENT, call_uuid: '   ' }],
    ['the string "null"', { ...CURRENT, call_uuid: 'null' }],
    ['null', { ...CURRENT, call_uuid: null }],
    ['a number', { ...CURRENT, call_uuid: 12345 }],
    ['an object', { ...CURRENT, call_uuid: { id: 'x' } }],
    ['unsafe in a path', { ...CURRENT, call_uuid: '../../Account' }],
  ])('rejects a record whose call_uuid is %s, with a reason', (_name, raw) => {
    const result = normalizeCall(raw);
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^call_uuid: /), callUuid: null });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [CURRENT]],
    ['a string', JSON.stringify(CURRENT)],
    ['a number', 42],
    ['undefined', undefined],
  ])('rejects a record that is %s', (_name, raw) => {
    expect(normalizeCall(raw)).toEqual({ ok: false, reason: 'record is not a JSON object', callUuid: null });
  });

  it('trims a call_uuid', () => {
    expect(okCall({ ...CURRENT, call_uuid: ' abc-1 ' }).callUuid).toBe('abc-1');
  });
});

describe('normalizeInsights', () => {
  const UUID = 'c9d6be3d-94c3-4b38-a2eb-8063ca404d77';
  const DOC = documentedInsights(UUID);
  const EXPECTED_INSIGHTS: CallInsights = {
    callUuid: UUID,
    from: { carrier: 'Verizon Wireless', number: '+12025551234', region: 'US' },
    to: { carrier: 'AT&T', number: '+13128574907', region: 'US' },
    hangupCause: 'normal_hangup',
    hangupSource: 'customer',
    rttMs: 24,
    jitterMs: 3,
    packetLossPct: 0,
    postDialDelayMs: 1000,
    qualityScore: 4.2,
  };

  it('normalises the docs example', () => {
    expect(okInsights(DOC, UUID)).toEqual(EXPECTED_INSIGHTS);
  });

  it.each<[string, Record<string, unknown>]>([
    [
      'metrics as numbers',
      { ...DOC, rtt: 24, jitter: 3, packet_loss: 0, post_dial_delay: '1000.0', plivo_quality_score: 4.2 },
    ],
    ['without call_uuid', without(DOC, 'call_uuid')],
    ['with unknown fields', { ...DOC, mos: '4.1', codec: 'PCMU', from: { ...DOC.from, lrn: '123' } }],
    [
      'numbers without +',
      { ...DOC, from: { ...DOC.from, number: 12025551234 }, to: { ...DOC.to, number: '13128574907' } },
    ],
  ])('the same insights with %s', (_name, raw) => {
    expect(okInsights(raw, UUID)).toEqual(EXPECTED_INSIGHTS);
  });

  it('nulls what is "null", missing, out of range or of another type', () => {
    const insights = okInsights(
      {
        call_uuid: UUID,
        from: 'Verizon',
        rtt: 'null',
        jitter: { ms: 3 },
        packet_loss: '150',
        post_dial_delay: -1,
        plivo_quality_score: '0',
      },
      UUID,
    );
    expect(insights).toEqual<CallInsights>({
      callUuid: UUID,
      from: { carrier: null, number: null, region: null },
      to: { carrier: null, number: null, region: null },
      hangupCause: null,
      hangupSource: null,
      rttMs: null,
      jitterMs: null,
      packetLossPct: null,
      postDialDelayMs: null,
      qualityScore: null,
    });
    expect(okInsights({ ...DOC, packet_loss: '0.5', plivo_quality_score: 5 }, UUID)).toMatchObject({
      packetLossPct: 0.5,
      qualityScore: 5,
    });
  });

  it('rejects insights of another call, non-objects and error bodies', () => {
    expect(normalizeInsights(DOC, 'another-call')).toEqual({
      ok: false,
      reason: `insights are for call ${UUID}, not another-call`,
    });
    expect(normalizeInsights(null, UUID)).toEqual({ ok: false, reason: 'record is not a JSON object' });
    expect(normalizeInsights([DOC], UUID).ok).toBe(false);
    expect(normalizeInsights({ api_id: 'x', error: 'call not found' }, UUID)).toEqual({
      ok: false,
      reason: 'Plivo returned an error body: call not found',
    });
  });
});

describe('parseListEnvelope', () => {
  it('reads the current envelope (meta.next null)', () => {
    const result = parseListEnvelope({
      api_id: 'a04ad809',
      meta: { limit: 20, offset: 0, total_count: 2, previous: null, next: null },
      objects: [{ call_uuid: 'a' }, { call_uuid: 'b' }],
    });
    expect(result).toEqual({
      ok: true,
      objects: [{ call_uuid: 'a' }, { call_uuid: 'b' }],
      totalCount: 2,
      limit: 20,
      offset: 0,
      hasNext: false,
    });
  });

  it('reads meta.next as a URL, as legacy booleans, and numbers as strings', () => {
    expect(
      parseListEnvelope({ meta: { next: '/v1/Account/x/Zentrunk/Call/?limit=20&offset=20' }, objects: [] }),
    ).toMatchObject({ ok: true, hasNext: true, totalCount: null });
    expect(
      parseListEnvelope({
        meta: { limit: 20, next: true, offset: 0, previous: false, total_count: 4 },
        objects: [],
      }),
    ).toMatchObject({ ok: true, hasNext: true, totalCount: 4 });
    expect(
      parseListEnvelope({ meta: { next: false, total_count: '4', offset: '20', limit: '20' }, objects: [] }),
    ).toEqual({ ok: true, objects: [], hasNext: false, totalCount: 4, offset: 20, limit: 20 });
  });

  it('tolerates a missing or malformed meta', () => {
    expect(parseListEnvelope({ objects: [1] })).toEqual({
      ok: true,
      objects: [1],
      totalCount: null,
      limit: null,
      offset: null,
      hasNext: null,
    });
    expect(parseListEnvelope({ meta: 'x', objects: [] })).toMatchObject({ ok: true, totalCount: null });
    expect(parseListEnvelope({ meta: { total_count: -3, next: 7 }, objects: [] })).toMatchObject({
      ok: true,
      totalCount: null,
      hasNext: null,
    });
  });

  it('rejects a body without an objects array, quoting Plivo when it said something', () => {
    expect(parseListEnvelope({ api_id: 'x', error: 'Invalid end_time' })).toEqual({
      ok: false,
      reason: 'not a Zentrunk list response: objects: missing or not an array (Plivo says: Invalid end_time)',
    });
    expect(parseListEnvelope({ objects: {} }).ok).toBe(false);
    expect(parseListEnvelope(null)).toEqual({
      ok: false,
      reason: 'not a Zentrunk list response: body is not a JSON object',
    });
    expect(parseListEnvelope([]).ok).toBe(false);
  });
});

describe('parsePlivoTime', () => {
  it.each([
    ['2024-01-15 14:32:00', '2024-01-15T14:32:00.000Z'],
    ['2024-01-15 14:32', '2024-01-15T14:32:00.000Z'],
    ['2024-01-15 14:32:00.123456', '2024-01-15T14:32:00.123Z'],
    ['2024-01-15T14:32:00Z', '2024-01-15T14:32:00.000Z'],
    ['2024-01-15T16:32:00+02:00', '2024-01-15T14:32:00.000Z'],
    ['2024-01-15 14:32:00 UTC', '2024-01-15T14:32:00.000Z'],
    ['2024-02-29 00:00:00', '2024-02-29T00:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(parsePlivoTime(input)).toBe(expected);
  });

  it.each([
    '',
    'null',
    '2023-02-29 00:00:00',
    '2024-13-01 00:00:00',
    '2024-01-15 24:00:00',
    '0000-00-00 00:00:00',
    '15/01/2024',
  ])('rejects %j', (input) => {
    expect(parsePlivoTime(input)).toBeNull();
  });
});

describe('normalizePhoneNumber', () => {
  it.each<[unknown, string | null]>([
    ['+12025551234', '+12025551234'],
    ['12025551234', '+12025551234'],
    [552135006716, '+552135006716'],
    [' +44 20 7946 0958 ', '+442079460958'],
    ['anonymous', null],
    ['sip:alice@example.com', null],
    ['', null],
    ['+', null],
    [-1, null],
    [1.5, null],
    [null, null],
  ])('%j → %j', (input, expected) => {
    expect(normalizePhoneNumber(input)).toBe(expected);
  });
});
