/**
 * REVIEW 2: trafficRules.traffic-drop.forgetAfterDays accepts up to 60 (traffic-config.ts
 * `forgetAfterDays: minutes(1, 60, 7)`), but a quiet trunk's hot item stops being written once
 * its buckets are pruned and expires after 35 days (notify-traffic.ts trafficExpiresAtSec),
 * while its profile is rewritten every hour. With forgetAfterDays above ~35 the hot item (and
 * its lastCallMs) is gone before the trunk is forgotten: the run rebuilds an empty one
 * (lastCallMs null, so `quietFor` is 0: notify-traffic.ts judgeAll) and the trunk is never
 * forgotten: its items are written for good.
 */
import { DAY_MS, simulator, type Stream } from '../review/harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday

it('forgets a stopped trunk, its items no longer written, at the longest forgetAfterDays (30 days)', async () => {
  const sim = simulator({ trafficRules: { 'traffic-drop': { forgetAfterDays: 30 } } });
  const stopAt = T0 + 8 * DAY_MS;
  const streams = (t: number): Stream[] => [
    { trunk: 'main.zt.plivo.com', perHour: () => 24 },
    ...(t < stopAt ? [{ trunk: 'fax.zt.plivo.com', perHour: () => 6 }] : []),
  ];
  await sim.runSpan(streams, T0, stopAt + 60 * DAY_MS, 60 * 60_000);
  const { hot } = await sim.items();
  const late = sim.writes.filter((w) => w.atMs >= stopAt + 55 * DAY_MS && w.id.endsWith('fax.zt.plivo.com'));
  console.log(
    `fax hot item 60 days after its last call: lastCallMs=${hot.get('fax.zt.plivo.com')?.lastCallMs}; ` +
      `writes of its items in days 55-60: ${late.length} (${[...new Set(late.map((w) => w.id))].join(', ')})`,
  );
  expect(late.length).toBe(0);
});
