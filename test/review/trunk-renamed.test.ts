/**
 * REVIEW: a trunk renamed (or decommissioned): its calls stop under the old domain. The old
 * key's traffic-drop fires (it did stop) but then never resolves and is never forgotten:
 * forgetAfterDays does not apply while the drop is firing (traffic-drop.ts:48), the calls are
 * not learnt while it fires (notify-traffic.ts foldSettled), so 0 observed stays under
 * recoveryShare of the frozen baseline forever. Its profile is rewritten every hour (fold moves
 * foldedToMs), so its TTL never passes either: every trunk ever seen is loaded, judged and
 * written by the runs for good.
 */
import { DAY_MS, HOUR_MS, show, simulator, type Stream } from './harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const OLD = 'old-name.zt.plivo.com';
const NEW = 'new-name.zt.plivo.com';

it('does not keep a renamed trunk firing (and written every hour) a month later', async () => {
  const sim = simulator();
  const renameAt = T0 + 8 * DAY_MS + 10 * HOUR_MS;
  const streams = (t: number): Stream[] => [{ trunk: t < renameAt ? OLD : NEW, perHour: () => 240 }];
  await sim.runSpan(streams, T0, renameAt + 30 * DAY_MS, 10 * 60_000);
  const { hot } = await sim.items();
  const lastDay = renameAt + 29 * DAY_MS;
  const oldWrites = sim.writes.filter((w) => w.atMs >= lastDay && w.id.endsWith(OLD)).map((w) => w.id);

  console.log(
    `${show(sim.sent.filter((s) => s.key.endsWith(OLD))).join('\n')}\n` +
      `old trunk's traffic-drop incident 30 days after the rename: ${JSON.stringify(hot.get(OLD)?.incidents['traffic-drop'])}\n` +
      `writes of the old trunk's items on day 30: ${oldWrites.length} (${[...new Set(oldWrites)].join(', ')})`,
  );
  expect(hot.get(OLD)?.incidents['traffic-drop']?.firing).not.toBe(true);
  expect(oldWrites.length).toBe(0);
});
