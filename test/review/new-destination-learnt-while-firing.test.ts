/**
 * REVIEW: an IRSF campaign to a country new to the trunk is paged, then "resolved (back to
 * normal)" about two hours later while the fraudulent calls go on at the same rate: fold()
 * moves the country from `seen` into the trunk's known countries whatever incident is firing
 * (traffic-state.ts fold: `next.known[country] = ...` with no regard to `learn`), so the calls
 * stop being new and the incident resolves.
 */
import { DAY_MS, HOUR_MS, show, simulator, type Stream } from './harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const TRUNK = 'acme.zt.plivo.com';

/** Weekdays 08:00-18:00 UTC, 120 calls an hour (half outbound, to the US); nothing otherwise. */
const office = (h: number) => {
  const d = new Date(h);
  return d.getUTCDay() >= 1 && d.getUTCDay() <= 5 && d.getUTCHours() >= 8 && d.getUTCHours() < 18 ? 120 : 0;
};

it('keeps the new-destination incident firing while calls to the new country continue', async () => {
  const sim = simulator();
  const normal: Stream = { trunk: TRUNK, perHour: office, toCountry: 'US' };
  const start = T0 + 8 * DAY_MS + 10 * HOUR_MS;
  await sim.runSpan([normal], T0, start);
  const { profiles } = await sim.items();
  expect(Object.keys(profiles.get(TRUNK)?.known ?? {})).toEqual(['US']);
  expect(sim.sent).toEqual([]);
  // Fraud from Tuesday 10:00 of week 2: 12 outbound calls an hour to Somalia (between :10 and
  // :50 of each hour), for 5 hours.
  const fraud: Stream = {
    trunk: TRUNK,
    perHour: () => 12,
    direction: () => 'outbound',
    toCountry: 'SO',
    totalAmount: 0.4,
    toNumber: '+252900000001',
    within: [10 / 60, 50 / 60],
  };
  await sim.runSpan([normal, fraud], start, start + 5 * HOUR_MS);
  const nd = sim.sent.filter((s) => s.rule === 'new-destination');

  console.log(nd.map((s) => `${show([s])[0]} | ${s.subject}`).join('\n'));
  expect(nd.map((s) => s.notice)).toEqual(['firing']);
});
