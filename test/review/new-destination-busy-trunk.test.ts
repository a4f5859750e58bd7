/**
 * REVIEW: a trunk that calls its usual country around the clock never gets that country into
 * its known countries (fold() moves a country from `seen` to `known` only if its LATEST call
 * ended before the hour being folded; a busy trunk always has a call in the minutes between the
 * hour edge and the run). From day 7 (minHistoryDays) its own home country is a "new
 * destination": a critical page that never resolves, and hides a real IRSF to a new country.
 */
import { DAY_MS, HOUR_MS, show, simulator, type Stream } from './harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const TRUNK = 'acme.zt.plivo.com';

it('learns the country a 24/7 trunk always calls, and never pages it as new', async () => {
  const sim = simulator();
  // 120 calls an hour, every hour, half outbound to the US: the trunk's only country.
  const normal: Stream = { trunk: TRUNK, perHour: () => 120, toCountry: 'US' };
  await sim.runSpan([normal], T0, T0 + 10 * DAY_MS);
  const { profiles } = await sim.items();

  console.log(
    `known countries after 10 days: ${JSON.stringify(profiles.get(TRUNK)?.known)}\n${show(sim.sent).join('\n')}`,
  );
  expect(Object.keys(profiles.get(TRUNK)?.known ?? {})).toContain('US');
  expect(show(sim.sent.filter((s) => s.rule === 'new-destination'))).toEqual([]);
});

it('then still pages a real IRSF burst to a new country (not swallowed by the stuck US incident)', async () => {
  const sim = simulator();
  const normal: Stream = { trunk: TRUNK, perHour: () => 120, toCountry: 'US' };
  const start = T0 + 8 * DAY_MS + 10 * HOUR_MS;
  await sim.runSpan([normal], T0, start);
  const before = sim.sent.length;
  const fraud = (country: string): Stream => ({
    trunk: TRUNK,
    perHour: () => 12,
    direction: () => 'outbound',
    toCountry: country,
    totalAmount: 0.4,
  });
  // Fraud to Somalia, an hour later Latvia too, an hour later Guinea too.
  await sim.runSpan([normal, fraud('SO')], start, start + HOUR_MS);
  await sim.runSpan([normal, fraud('SO'), fraud('LV')], start + HOUR_MS, start + 2 * HOUR_MS);
  await sim.runSpan(
    [normal, fraud('SO'), fraud('LV'), fraud('GN')],
    start + 2 * HOUR_MS,
    start + 3 * HOUR_MS,
  );
  const nd = sim.sent.slice(before).filter((s) => s.rule === 'new-destination');

  console.log(nd.map((s) => `${show([s])[0]} | ${s.subject}`).join('\n'));
  // The firing and its one update (by design a third country gets nothing): SO and LV are paged.
  for (const c of ['SO', 'LV']) expect(nd.some((s) => s.subject.includes(c))).toBe(true);
});
