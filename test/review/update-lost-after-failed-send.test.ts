/**
 * REVIEW: an incident's one update is lost for good when its send does not go out (the channel
 * fails once, or a silence holds it): stepIncident already raised the incident's peak to the
 * worse value (incident.ts:65) and judgeAll keeps that incident whether or not the notice was
 * sent (notify-traffic.ts:427-430 only undoes a failed 'resolved'), so the next run finds the
 * value no worse than the peak and never sends the update. A drop to nothing is then never
 * told to the on-call, who was paged for a partial drop.
 */
import { DAY_MS, HOUR_MS, show, simulator, type Stream } from './harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const TRUNK = 'acme.zt.plivo.com';

it('sends the update (a partial drop became a stop) once the channel is back', async () => {
  const sim = simulator();
  const dropAt = T0 + 8 * DAY_MS + 10 * HOUR_MS;
  const stopAt = dropAt + HOUR_MS;
  const streams = (t: number): Stream[] => [
    { trunk: TRUNK, perHour: () => (t < dropAt ? 240 : t < stopAt ? 60 : 0) },
    { trunk: 'other.zt.plivo.com', perHour: () => 2400 },
  ];
  await sim.runSpan(streams, T0, stopAt);
  const firing = sim.sent.filter((s) => s.key.endsWith(TRUNK) && s.rule === 'traffic-drop');
  expect(firing.map((s) => s.notice)).toEqual(['firing']);
  // The first update's publish fails (one transient SNS error); every later publish works.
  let failures = 0;
  sim.channel.fails = (m) => (m.json as { notice?: string }).notice === 'update' && failures++ === 0;
  await sim.runSpan(streams, stopAt, stopAt + 2 * HOUR_MS);
  const notices = sim.sent.filter((s) => s.key.endsWith(TRUNK) && s.rule === 'traffic-drop');

  console.log(`publishes refused: ${sim.channel.failed.length}\n${show(notices).join('\n')}`);
  expect(sim.channel.failed.length).toBe(1);
  expect(notices.map((s) => s.notice)).toEqual(['firing', 'update']);
});
