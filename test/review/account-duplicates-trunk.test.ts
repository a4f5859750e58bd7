/**
 * REVIEW: one trunk's incident is paged twice: once for the trunk, once for the account
 * ('trunks-and-account' rules judge the account key independently, notify-traffic.ts judgeAll;
 * nothing relates the account's incident to the trunks'). With one dominant trunk every drop,
 * surge or spend incident of that trunk is two critical pages, two resolutions.
 */
import { DAY_MS, HOUR_MS, show, simulator, type Stream } from './harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const MAIN = 'main.zt.plivo.com';
const SMALL = 'small.zt.plivo.com';

it('pages a stop of one trunk once, not again for the account', async () => {
  const sim = simulator();
  const stopAt = T0 + 8 * DAY_MS + 10 * HOUR_MS;
  const streams = (t: number): Stream[] => [
    ...(t < stopAt || t >= stopAt + HOUR_MS ? [{ trunk: MAIN, perHour: () => 240 }] : []),
    { trunk: SMALL, perHour: () => 24 },
  ];
  await sim.runSpan(streams, T0, stopAt + 2 * HOUR_MS);
  const firing = sim.sent.filter((s) => s.rule === 'traffic-drop' && s.notice === 'firing');

  console.log(show(sim.sent.filter((s) => s.rule === 'traffic-drop')).join('\n'));
  expect(firing.map((s) => s.key)).toEqual([`zentrunk-alerts:traffic:traffic-drop:${MAIN}`]);
});

it('pages a spend cap hit by one trunk once, not again for the account', async () => {
  const sim = simulator({ trafficRules: { spend: { maxSpendPerHour: 50 } } });
  const fraudAt = T0 + 2 * HOUR_MS;
  const streams = (t: number): Stream[] => [
    { trunk: MAIN, perHour: () => 240 },
    { trunk: SMALL, perHour: () => 24 },
    ...(t >= fraudAt
      ? [{ trunk: SMALL, perHour: () => 120, direction: () => 'outbound' as const, totalAmount: 1 }]
      : []),
  ];
  await sim.runSpan(streams, T0, fraudAt + HOUR_MS);
  const firing = sim.sent.filter((s) => s.rule === 'spend' && s.notice === 'firing');

  console.log(show(firing).join('\n'));
  expect(firing.map((s) => s.key)).toEqual([`zentrunk-alerts:traffic:spend:${SMALL}`]);
});
