/**
 * REVIEW: a trunk that stops for good (decommissioned, renamed; here a quiet one that no rule
 * ever pages) makes EVERY poll run fail about 35 days later. Its hot item stops changing once
 * its buckets are pruned, so it is no longer written and expires after 35 days; its profile is
 * rewritten every hour (fold), so it lives on. The run then sees the key (from the profile)
 * without its hot item (listTraffic leaves expired items out), builds an empty one with
 * version 0 and saves it: a conditional put (attribute_not_exists) against the expired item
 * DynamoDB has not yet deleted (TTL deletes lazily, within days). "was changed by another
 * run": the run fails, every minute, and the flush stops at that item, so no traffic counts of
 * any trunk are written either. The memory store models the conditional put the same way.
 */
import { DAY_MS, simulator, type Stream } from './harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday

it('keeps polling when a trunk that stopped long ago has its hot item expire', async () => {
  const sim = simulator();
  const stopAt = T0 + 8 * DAY_MS;
  const streams = (t: number): Stream[] => [
    { trunk: 'main.zt.plivo.com', perHour: () => 240 },
    ...(t < stopAt ? [{ trunk: 'fax.zt.plivo.com', perHour: () => 6 }] : []),
  ];
  let failure: unknown = null;
  let failedAt = 0;
  try {
    await sim.runSpan(streams, T0, stopAt + 40 * DAY_MS, 10 * 60_000);
  } catch (error) {
    failure = error;
    failedAt = sim.writes.at(-1)?.atMs ?? 0;
  }

  console.log(
    failure
      ? `run failed ${((failedAt - stopAt) / DAY_MS).toFixed(2)} days after the trunk stopped: ${String(failure)}`
      : 'no failure',
  );
  expect(failure).toBeNull();
});
