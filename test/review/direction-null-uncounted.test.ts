/**
 * REVIEW: a call whose direction Plivo sends as null (or a value the adapter does not know, which
 * payload-schemas.ts `lenient(direction)` turns into null) is counted nowhere: countInto skips
 * it (`else continue`, traffic-state.ts:196) though it is a call of the trunk, so traffic-drop's
 * "all" row, which is about the trunk's calls whatever their direction, does not see it. A
 * share of CDRs with an unreadable direction looks like a drop of that share; a trunk whose
 * CDRs all lack it is never protected (its baseline learns 0 calls), with no warning.
 */
import { countInto, countsIn, emptyHot } from '../../functions/core/traffic/traffic-state';
import { makeCall } from '../support/calls';

it("counts a call with no direction in the trunk's calls", () => {
  const calls = Array.from({ length: 10 }, (_, i) =>
    makeCall({
      trunkDomain: 'acme.zt.plivo.com',
      endTime: new Date(Date.parse('2026-11-02T10:00:00Z') + i * 1000).toISOString(),
      direction: null,
    }),
  );
  const hot = countInto(emptyHot('acme.zt.plivo.com'), calls, null, 0);
  const c = countsIn(hot, 0, Number.POSITIVE_INFINITY);
  expect({ lastCallMs: hot.lastCallMs !== null, calls: c.inbound + c.outbound + c.other }).toEqual({
    lastCallMs: true,
    calls: 10,
  });
});
