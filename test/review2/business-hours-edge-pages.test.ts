/**
 * REVIEW 2: an ordinary office trunk (400 calls an hour 08:00-18:00 UTC, 4 an hour otherwise,
 * every day alike) pages traffic-drop CRITICAL every evening at 18:30 from day 2, and every
 * morning at 08:05 from day 8, each "resolved" 10-20 minutes later. The expected calls of a
 * window are interpolated between the middles of neighbouring hours (traffic-state.ts
 * weeklyRate): 18:05-18:20 is expected to hold ~30 calls (the line from 17:30's 400/h to
 * 18:30's 4/h) though hour 18 has averaged 4; 07:40-07:55 the same towards 08:30. Nothing
 * changed on the trunk: every one of these pages is false.
 */
import { DAY_MS, HOUR_MS, show, simulator, type Stream } from '../review/harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const business = (h: number) => (h / HOUR_MS) % 24 >= 8 && (h / HOUR_MS) % 24 < 18;

it('does not page traffic-drop at the open and close of an office trunk whose days are all alike', async () => {
  const sim = simulator();
  const streams: Stream[] = [
    { trunk: 'office.zt.plivo.com', perHour: (h) => (business(h) ? 300 : 2), direction: () => 'outbound' },
    { trunk: 'office.zt.plivo.com', perHour: (h) => (business(h) ? 100 : 2), direction: () => 'inbound' },
  ];
  await sim.runSpan(streams, T0, T0 + 10 * DAY_MS, 5 * 60_000);
  const drops = sim.sent.filter((s) => s.rule === 'traffic-drop');
  console.log(
    `${drops.length} traffic-drop notices:\n${show(drops).join('\n')}\n${drops[0]?.message.text ?? ''}`,
  );
  expect(drops.filter((s) => s.notice === 'firing')).toHaveLength(0);
});
