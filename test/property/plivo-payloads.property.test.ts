import fc from 'fast-check';
import {
  normalizeCall,
  normalizeInsights,
  parseListEnvelope,
} from '../../functions/adapters/plivo/payload-schemas';
import type { Call } from '../../functions/core/call';
import { DOCUMENTED_CALL, documentedInsights } from '../support/plivo-documented';

/**
 * Whatever Plivo sends, normalisation answers with a result and never throws: one odd record
 * must not end a poll run. And what it does accept always has the internal shape.
 */

const UUID = DOCUMENTED_CALL.call_uuid;

/** The documented call, with the legacy names beside the current ones. */
const VALID_CALL: Record<string, unknown> = {
  ...DOCUMENTED_CALL,
  duration: 180,
  hangup_code: 3000,
  hangup_initiator: 'carrier',
  rate: 0.005,
  call_id: 'abc@host',
};

const VALID_INSIGHTS = documentedInsights(UUID);

/** Values Plivo-like payloads are made of, the odd ones included. */
const leaf = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    'null',
    '',
    ' ',
    'NULL',
    'Not Applicable',
    '0000-00-00 00:00:00',
    '2024-01-15T14:32:00+05:30',
  ),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.constant(undefined),
);

/** A valid record with some fields replaced by arbitrary values and some deleted. */
function mutated(base: Record<string, unknown>, protect: string[] = []) {
  const keys = Object.keys(base).filter((k) => !protect.includes(k));
  return fc
    .record({
      replace: fc.dictionary(fc.constantFrom(...keys), leaf),
      remove: fc.uniqueArray(fc.constantFrom(...keys)),
      extra: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
    })
    .map(({ replace, remove, extra }) => {
      const out: Record<string, unknown> = { ...extra, ...base, ...replace };
      for (const key of remove) delete out[key];
      return out;
    });
}

/** What is wrong with an accepted call's shape (empty when nothing is). */
function callShapeProblems(call: Call): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(call.callUuid), `callUuid ${call.callUuid}`);
  for (const n of [call.fromNumber, call.toNumber])
    check(n === null || /^\+\d{1,20}$/.test(n), `number ${n}`);
  for (const t of [call.initiationTime, call.answerTime, call.endTime]) {
    check(t === null || new Date(t).toISOString() === t, `time ${t}`);
  }
  for (const x of [
    call.durationSec,
    call.billDurationSec,
    call.hangupCauseCode,
    call.ratePerMinute,
    call.totalAmount,
  ]) {
    check(x === null || Number.isFinite(x), `number ${x}`);
  }
  check([null, 'inbound', 'outbound'].includes(call.direction), `direction ${call.direction}`);
  check([null, 'customer', 'carrier', 'zentrunk'].includes(call.hangupSource), `source ${call.hangupSource}`);
  check([null, 'verified', 'not-verified', 'not-applicable'].includes(call.stirVerification), 'stir');
  check([null, 'A', 'B', 'C'].includes(call.attestation), 'attestation');
  check([null, true, false].includes(call.srtp), 'srtp');
  return problems;
}

function resultProblems(result: ReturnType<typeof normalizeCall>): string[] {
  if (result.ok) return callShapeProblems(result.call);
  return /\S/.test(result.reason) ? [] : ['rejected without a reason'];
}

const RUNS = { numRuns: 300 };

describe('Plivo payload normalisation on arbitrary input', () => {
  it('normalizeCall never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(resultProblems(normalizeCall(value))).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a valid record with any other field mutated is still accepted, with a sane shape', () => {
    fc.assert(
      fc.property(mutated(VALID_CALL, ['call_uuid', 'end_time']), (record) => {
        const result = normalizeCall(record);
        expect(result).toMatchObject({ ok: true, call: { callUuid: UUID } });
        expect(resultProblems(result)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a valid record with call_uuid mutated too is accepted or rejected with a reason', () => {
    fc.assert(
      fc.property(mutated(VALID_CALL), (record) => {
        expect(resultProblems(normalizeCall(record))).toEqual([]);
      }),
      RUNS,
    );
  });

  it('normalizeInsights never throws, on any JSON or on mutated insights', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutated(VALID_INSIGHTS)), (value) => {
        const result = normalizeInsights(value, UUID);
        const sane = result.ok
          ? result.insights.callUuid === UUID &&
            (result.insights.packetLossPct === null ||
              (result.insights.packetLossPct >= 0 && result.insights.packetLossPct <= 100)) &&
            (result.insights.qualityScore === null ||
              (result.insights.qualityScore >= 1 && result.insights.qualityScore <= 5))
          : /\S/.test(result.reason);
        expect(sane).toBe(true);
      }),
      RUNS,
    );
  });

  it('parseListEnvelope never throws, on any JSON or on envelope-shaped values', () => {
    const envelope = fc.record(
      {
        api_id: fc.string(),
        meta: fc.oneof(
          leaf,
          fc.record(
            { limit: leaf, offset: leaf, total_count: leaf, next: leaf, previous: leaf },
            { requiredKeys: [] },
          ),
        ),
        objects: fc.oneof(leaf, fc.array(fc.oneof(fc.jsonValue(), mutated(VALID_CALL)), { maxLength: 5 })),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), envelope), (value) => {
        const result = parseListEnvelope(value);
        const sane = result.ok
          ? Array.isArray(result.objects) &&
            (result.totalCount === null || Number.isInteger(result.totalCount)) &&
            [null, true, false].includes(result.hasNext)
          : result.reason.startsWith('not a Zentrunk list response');
        expect(sane).toBe(true);
      }),
      RUNS,
    );
  });
});
