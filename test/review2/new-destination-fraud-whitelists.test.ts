/**
 * REVIEW 2: once a new-destination incident resolves, the country its fraudulent calls went to
 * is learnt as known (traffic-state.ts fold: `holdNovel` holds it only while the incident
 * fires) and stays known for lookbackDays (30). The same IRSF campaign coming back two nights
 * later (the usual pattern: the credential is still leaked) is not paged by new-destination
 * at all; spend/surge catch it only if it is big enough. A resolved (not acknowledged) fraud
 * whitelists its own destination.
 */
import { DAY_MS, HOUR_MS, show, simulator, type Stream } from '../review/harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const TRUNK = 'acme.zt.plivo.com';

it('pages new-destination again when the same fraud returns two nights later', async () => {
  const sim = simulator();
  const office = (h: number) => ((h / HOUR_MS) % 24 >= 8 && (h / HOUR_MS) % 24 < 18 ? 120 : 0);
  const first = T0 + 8 * DAY_MS + 2 * HOUR_MS;
  const again = first + 2 * DAY_MS;
  const fraudAt = (t: number) => (t >= first && t < first + HOUR_MS) || (t >= again && t < again + HOUR_MS);
  const streams = (t: number): Stream[] => [
    { trunk: TRUNK, perHour: office, toCountry: 'US' },
    ...(fraudAt(t)
      ? [
          {
            trunk: TRUNK,
            perHour: () => 12,
            direction: () => 'outbound' as const,
            toCountry: 'ST',
            totalAmount: 0.9,
            toNumber: '+2392271234',
          },
        ]
      : []),
  ];
  await sim.runSpan(streams, T0, again + 3 * HOUR_MS, 5 * 60_000);
  const nd = sim.sent.filter((s) => s.rule === 'new-destination');
  console.log(show(nd).join('\n'));
  expect(nd.filter((s) => s.notice === 'firing' && s.atMs >= again)).toHaveLength(1);
});
