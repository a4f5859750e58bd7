/**
 * REVIEW 2: a drop in one direction (inbound stops: numbers re-pointed, an inbound route
 * broken; outbound goes on).
 *  1. The subject and the SMS say "75 calls, 100 calls expected" (traffic-drop.ts headline: the
 *     total only): a 25 % dip to anyone reading a pager, not "inbound: 0 of 25".
 *  2. It resolves "(back to normal)" while inbound is at 28 % of the expected: the recovery is
 *     judged on the total only (traffic-drop.ts: `total.observed >= rule.recoveryShare *
 *     all.value`), and inbound at 7 of 25 is just above its 3-sigma limit (6.25), so it no
 *     longer "breaches" and the total (82 %) clears it. recoveryShare (70 %) is never applied
 *     to the direction that dropped.
 */
import { DAY_MS, HOUR_MS, simulator, type Stream } from '../review/harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const TRUNK = 'pbx.zt.plivo.com';

let drops: Array<{
  atMs: number;
  notice: string;
  subject: string;
  message: { shortText: string; overview?: string };
}> = [];

beforeAll(async () => {
  const sim = simulator();
  const outageFrom = T0 + 8 * DAY_MS + 10 * HOUR_MS; // Tuesday 10:00
  const partialFrom = outageFrom + HOUR_MS;
  const streams = (t: number): Stream[] => [
    { trunk: TRUNK, perHour: () => 300, direction: () => 'outbound' },
    {
      trunk: TRUNK,
      perHour: () => (t >= outageFrom && t < partialFrom ? 0 : t >= partialFrom ? 40 : 100),
      direction: () => 'inbound',
    },
  ];
  await sim.runSpan(streams, T0, partialFrom + 2 * HOUR_MS, 5 * 60_000);
  drops = sim.sent.filter((s) => s.rule === 'traffic-drop' && s.key.endsWith(TRUNK));
  for (const s of drops) {
    console.log(
      `${new Date(s.atMs).toISOString()} ${s.notice}\nSUBJECT: ${s.subject}\nSMS: ${s.message.shortText}\n${s.message.overview}`,
    );
  }
});

it('names the direction that dropped in the subject and the SMS', () => {
  const firing = drops.find((s) => s.notice === 'firing');
  expect(firing).toBeDefined();
  expect(`${firing?.subject} ${firing?.message.shortText}`).toMatch(/inbound/i);
});

it('does not resolve (back to normal) while inbound is under recoveryShare', () => {
  // Inbound runs at 40 % of its usual rate from partialFrom on: under recoveryShare (70 %).
  expect(drops.filter((s) => s.notice === 'resolved').map((s) => s.subject)).toEqual([]);
});
