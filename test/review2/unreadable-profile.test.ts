/**
 * REVIEW 2: a traffic item the run cannot read is "skipped (its trunk starts learning again)"
 * (notify-traffic.ts load). It does not start again: the run builds a new profile with version
 * 0 and saves it over the unreadable one still in the table, a conditional put that fails
 * ("changed by another run"), and flushTraffic rethrows it: every run from then on fails.
 */
import { DAY_MS, HOUR_MS, simulator, type Stream } from '../review/harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z');
const TRUNK = 'main.zt.plivo.com';

it('keeps polling (and relearns) after one profile item became unreadable', async () => {
  const sim = simulator();
  const streams: Stream[] = [{ trunk: TRUNK, perHour: () => 120 }];
  await sim.runSpan(streams, T0, T0 + 2 * DAY_MS, 10 * 60_000);
  const { raw } = await sim.items();
  const profile = raw.find((i) => i.id === `profile:${TRUNK}`);
  expect(profile).toBeDefined();
  // A profile written by a future version, or damaged by hand: firstMs not a number.
  await sim.store.saveTraffic(
    { ...(profile as object), firstMs: 'x' } as never,
    Math.floor((T0 + 60 * DAY_MS) / 1000),
  );
  let failure: unknown = null;
  try {
    await sim.runSpan(streams, T0 + 2 * DAY_MS, T0 + 2 * DAY_MS + 3 * HOUR_MS, 10 * 60_000);
  } catch (error) {
    failure = error;
  }
  console.log(failure ? `run failed: ${String(failure)}` : 'no failure');
  expect(failure).toBeNull();
});
