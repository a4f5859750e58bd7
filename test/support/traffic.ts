/** Traffic items as the runs leave them in the state table, for the tests of what reads them. */
import {
  countInto,
  DAY_MS,
  emptyHot,
  emptyProfile,
  fold,
  HOUR_MS,
  type TrafficHot,
  type TrafficProfile,
} from '../../functions/core/traffic/traffic-state';
import { makeCall } from './calls';

/**
 * `perHour` calls (a number, or one per hour's start) of `trunk` each hour of [fromMs, toMs),
 * evenly spread, directions alternating, 1 cent each.
 */
export function trafficCalls(
  trunk: string,
  fromMs: number,
  toMs: number,
  perHour: number | ((hourMs: number) => number),
) {
  const out = [];
  for (let h = fromMs; h < toMs; h += HOUR_MS) {
    const n = typeof perHour === 'number' ? perHour : perHour(h);
    for (let i = 0; i < n; i += 1) {
      out.push(
        makeCall({
          trunkDomain: trunk,
          endTime: new Date(h + Math.floor((i * HOUR_MS) / n)).toISOString(),
          direction: i % 2 === 0 ? 'outbound' : 'inbound',
          totalAmount: 0.01,
        }),
      );
    }
  }
  return out;
}

/**
 * A trunk's (or, with ACCOUNT_KEY, the account's) items after `perHour` calls an hour from
 * `firstMs` (a whole hour) to `toMs`, counted and folded hour by hour as the runs would.
 */
export function learntTraffic(
  key: string,
  firstMs: number,
  toMs: number,
  perHour: number | ((hourMs: number) => number),
): { hot: TrafficHot; profile: TrafficProfile } {
  let hot = emptyHot(key);
  let profile = emptyProfile(key, firstMs);
  for (let h = firstMs; h < toMs; h += HOUR_MS) {
    hot = countInto(hot, trafficCalls(key, h, h + HOUR_MS, perHour), profile.known, 30 * DAY_MS);
    ({ hot, profile } = fold(hot, profile, h + HOUR_MS));
  }
  return { hot, profile };
}
