/**
 * The traffic baseline's pure parts: counting by end time, folding settled hours into the
 * weekly averages, what it expects (weekly, early, nothing), the settle time measured from how
 * late calls are listed, and the compact stored form.
 */
import { alertConfigSchema } from '../../../functions/core/config/schema';
import { judgeTraffic, keptFor, trafficEdges } from '../../../functions/core/poll/notify-traffic';
import {
  ACCOUNT_KEY,
  countInto,
  countsIn,
  DAY_MS,
  emptyHot,
  emptyProfile,
  expectedIn,
  fold,
  fromStored,
  HOUR_MS,
  hourOfWeek,
  MIN_LATENESS_SAMPLES,
  observeLateness,
  prune,
  settleOf,
  toStored,
  type TrafficHot,
  type TrafficProfile,
} from '../../../functions/core/traffic/traffic-state';
import { makeCall } from '../../support/calls';
import { learntTraffic } from '../../support/traffic';

const MIN = 60_000;
// A Monday, 00:00 UTC.
const T0 = Date.parse('2026-11-02T00:00:00.000Z');
const TRUNK = 'acme.zt.plivo.com';

/** A trunk's state after `days` of calls, folded hour by hour as runs would. */
function learnt(
  days: number,
  perHour: (hourMs: number) => number,
): { hot: TrafficHot; profile: TrafficProfile } {
  return learntTraffic(TRUNK, T0, T0 + days * DAY_MS, perHour);
}

/** Busy weekdays 09:00–17:00 UTC (120 calls an hour), quiet otherwise (4). */
const officeHours = (hourMs: number) => {
  const d = new Date(hourMs);
  const weekday = d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
  return weekday && d.getUTCHours() >= 9 && d.getUTCHours() < 17 ? 120 : 4;
};

describe('counting', () => {
  it('puts each call in the 5-minute bucket of its END time, by direction, with outbound spend', () => {
    const hot = countInto(
      emptyHot(TRUNK),
      [
        makeCall({ endTime: '2026-11-02T10:04:59.000Z', direction: 'outbound', totalAmount: 0.25 }),
        makeCall({ endTime: '2026-11-02T10:05:00.000Z', direction: 'inbound', totalAmount: 0.1 }),
        makeCall({ endTime: null }),
        // No direction on the CDR: counted apart, in the total.
        makeCall({ endTime: '2026-11-02T10:05:30.000Z', direction: null }),
      ],
      {},
      DAY_MS,
    );
    expect(hot.buckets).toEqual([
      { startMs: Date.parse('2026-11-02T10:00:00Z'), inbound: 0, outbound: 1, spend: 0.25, other: 0 },
      { startMs: Date.parse('2026-11-02T10:05:00Z'), inbound: 1, outbound: 0, spend: 0, other: 1 },
    ]);
  });

  it('keeps outbound calls to a country not called within the lookback as new destinations, with up to 3 numbers', () => {
    const known = { US: T0 - DAY_MS, DE: T0 - 40 * DAY_MS };
    const calls = ['+23990000001', '+23990000002', '+23990000003', '+23990000004'].map((n) =>
      makeCall({ toCountry: 'ST', toNumber: n, endTime: new Date(T0).toISOString(), totalAmount: 6 }),
    );
    const hot = countInto(
      emptyHot(TRUNK),
      [
        ...calls,
        makeCall({ toCountry: 'US', endTime: new Date(T0).toISOString() }),
        makeCall({ toCountry: 'DE', endTime: new Date(T0).toISOString() }),
      ],
      known,
      30 * DAY_MS,
    );
    expect(Object.keys(hot.novel).sort()).toEqual(['DE', 'ST']);
    expect(hot.novel.ST).toMatchObject({
      calls: 4,
      spend: 24,
      numbers: ['+23990000001', '+23990000002', '+23990000003'],
    });
  });
});

describe('the baseline', () => {
  it('learns each hour of the week from the hours folded, and expects that hour a week later', () => {
    const { profile } = learnt(8, officeHours);
    const mondayTen = T0 + 7 * DAY_MS + 10 * HOUR_MS;
    const busy = expectedIn(profile, 'outbound', mondayTen, mondayTen + 15 * MIN);
    expect(busy).toEqual({ value: expect.closeTo(15, 5), basis: 'weekly' });
    const night = expectedIn(
      profile,
      'outbound',
      mondayTen + 14 * HOUR_MS,
      mondayTen + 14 * HOUR_MS + 15 * MIN,
    );
    expect(night?.value).toBeCloseTo(0.5, 5);
    expect(profile.weeks[hourOfWeek(mondayTen)]).toBe(2);
  });

  it('before a week: the lower of the last hours and the day before (early), and nothing before a day', () => {
    const { profile: halfDay } = learnt(0.5, officeHours);
    const at = T0 + 12 * HOUR_MS;
    expect(expectedIn(halfDay, 'outbound', at, at + 15 * MIN, true)).toBeNull();
    const { profile } = learnt(3 + 18 / 24, officeHours); // Monday to Thursday 18:00
    // Thursday 18:00: the last hours' average still expects the afternoon (over 15 calls in 15
    // minutes); the day before at 18:00 was quiet (2 outbound calls an hour).
    const thursdaySix = T0 + 3 * DAY_MS + 18 * HOUR_MS;
    expect((profile.recent.outbound * 15) / 60).toBeGreaterThan(5);
    const early = expectedIn(profile, 'outbound', thursdaySix, thursdaySix + 15 * MIN, true);
    expect(early).toEqual({ value: expect.closeTo(0.5, 5), basis: 'recent' });
    // Surge and spend never use the early baseline.
    expect(expectedIn(profile, 'outbound', thursdaySix, thursdaySix + 15 * MIN)).toBeNull();
  });

  it('does not learn a metric while an incident about it fires: an outage never becomes normal', () => {
    const { hot, profile } = learnt(7, officeHours);
    const mondayTen = T0 + 7 * DAY_MS + 10 * HOUR_MS;
    // An hour with no call at all, folded while traffic-drop fires (inbound and outbound not learnt).
    const folded = fold(hot, profile, mondayTen + HOUR_MS + 1, new Set(['spend'] as const));
    expect(folded.profile.weekly.outbound[hourOfWeek(mondayTen)]).toBe(
      profile.weekly.outbound[hourOfWeek(mondayTen)],
    );
    const learning = fold(hot, profile, mondayTen + HOUR_MS + 1);
    expect(learning.profile.weekly.outbound[hourOfWeek(mondayTen)]).toBeLessThan(
      profile.weekly.outbound[hourOfWeek(mondayTen)] as number,
    );
  });

  it('leaves an hour of the week unseen when its counts are not learnt (an incident in its first week)', () => {
    const { hot, profile } = learnt(2, officeHours);
    const wednesdayTen = T0 + 2 * DAY_MS + 10 * HOUR_MS;
    const slot = hourOfWeek(wednesdayTen);
    expect(profile.weeks[slot]).toBe(0);
    const folded = fold(
      hot,
      { ...profile, foldedToMs: wednesdayTen },
      wednesdayTen + HOUR_MS + 1,
      new Set(['spend'] as const),
    );
    expect(folded.profile.weeks[slot]).toBe(0);
    // So a week later that hour is expected from the early baseline, not as 0 calls.
    expect(
      expectedIn(folded.profile, 'outbound', wednesdayTen + 7 * DAY_MS, wednesdayTen + 7 * DAY_MS + 15 * MIN),
    ).toBeNull();
  });

  it('notes the countries called into what is known when their hour is folded; a new one stays new while called', () => {
    // Before minHistoryDays (known null: no country can be new yet) a country is learnt at the fold.
    let hot = countInto(
      emptyHot(TRUNK),
      [makeCall({ toCountry: 'IN', endTime: new Date(T0 + 5 * MIN).toISOString() })],
      null,
      DAY_MS,
    );
    const profile = emptyProfile(TRUNK, T0);
    expect(fold(hot, profile, T0 + 30 * MIN).changed).toBe(false);
    const folded = fold(hot, profile, T0 + HOUR_MS + 1);
    hot = folded.hot;
    expect(folded.profile.known).toEqual({ IN: T0 });
    expect(hot.seen).toEqual({});
    // After it, a country called for the first time is new, and stays so while it is called
    // (NOVEL_HOLD_MS), though its hour was folded.
    const novel = countInto(
      emptyHot(TRUNK),
      [makeCall({ toCountry: 'ST', endTime: new Date(T0 + 5 * MIN).toISOString() })],
      {},
      DAY_MS,
    );
    expect(fold(novel, profile, T0 + HOUR_MS + 1).profile.known).toEqual({});
  });
});

describe('the settle time', () => {
  const bounds = { minMinutes: 2, maxMinutes: 15 };

  it('is the maximum until enough calls were seen, then the age by which 99 % were listed', () => {
    expect(settleOf(undefined, bounds)).toEqual({ ms: 15 * MIN, measured: false, samples: 0 });
    const few = observeLateness(emptyHot(ACCOUNT_KEY), new Array(MIN_LATENESS_SAMPLES - 1).fill(40_000), T0);
    expect(settleOf(few, bounds).measured).toBe(false);
    // 990 calls listed 40-80 s after they ended, 10 found 4-5 minutes late.
    const ages = [
      ...new Array(990).fill(0).map((_, i) => 40_000 + (i % 40) * 1000),
      ...new Array(10).fill(280_000),
    ];
    const hot = observeLateness(emptyHot(ACCOUNT_KEY), ages, T0);
    expect(settleOf(hot, bounds)).toEqual({
      ms: 90_000 < 2 * MIN ? 2 * MIN : 90_000,
      measured: true,
      samples: 1000,
    });
    const later = observeLateness(hot, new Array(30).fill(280_000), T0);
    expect(settleOf(later, bounds).ms).toBe(300_000);
  });

  it('follows a lag that starts now: the oldest age of the last 30 minutes holds it up at once', () => {
    // A day of calls listed within a minute: the settle time is the 2-minute minimum.
    let hot = observeLateness(emptyHot(ACCOUNT_KEY), new Array(5000).fill(50_000), T0);
    expect(settleOf(hot, bounds, T0).ms).toBe(2 * MIN);
    // Then Plivo writes CDRs 14 minutes late: the first such call listed moves it to 14 minutes,
    // though the day's 99th percentile has not moved yet.
    hot = observeLateness(hot, [50_000, 14 * MIN - 20_000], T0 + 10 * MIN);
    expect(settleOf(hot, bounds).ms).toBe(2 * MIN);
    expect(settleOf(hot, bounds, T0 + 10 * MIN).ms).toBe(14 * MIN);
    // 30 minutes on without such a call, the day's percentile decides again.
    hot = observeLateness(hot, [50_000], T0 + 41 * MIN);
    expect(settleOf(hot, bounds, T0 + 41 * MIN).ms).toBe(2 * MIN);
  });

  it('takes the ages of a backlog slice of any size (no spread of arguments to overflow)', () => {
    const hot = observeLateness(emptyHot(ACCOUNT_KEY), new Array(300_000).fill(40_000), T0);
    expect(hot.recentLateMs).toBe(40_000);
  });

  it('forgets old ages: half their weight a day', () => {
    const hot = observeLateness(emptyHot(ACCOUNT_KEY), new Array(1000).fill(600_000), T0);
    const dayLater = observeLateness(hot, [30_000], T0 + DAY_MS);
    expect(dayLater.lateness?.reduce((a, b) => a + b, 0)).toBeCloseTo(501, 0);
  });
});

describe('stored form', () => {
  it('round-trips, and stays small: a hot item under 1 KB, a profile under 4 KB', () => {
    const { hot, profile } = learnt(8, officeHours);
    const withNovel = countInto(
      hot,
      [
        makeCall({
          trunkDomain: TRUNK,
          toCountry: 'ST',
          toNumber: '+23990000001',
          endTime: new Date(T0 + 8 * DAY_MS - MIN).toISOString(),
        }),
      ],
      profile.known,
      30 * DAY_MS,
    );
    for (const item of [withNovel, profile]) {
      const stored = toStored(item);
      expect(fromStored(JSON.parse(JSON.stringify(stored)))).toEqual(item);
    }
    // As a run leaves it: buckets of the longest window a rule reads behind what was folded.
    const nowMs = T0 + 8 * DAY_MS;
    const pruned = prune(withNovel, profile, nowMs, keptFor(alertConfigSchema.parse({})));
    expect(pruned.buckets.length).toBeLessThanOrEqual(17);
    expect(Buffer.byteLength(JSON.stringify(toStored(pruned)))).toBeLessThan(1024);
    expect(Buffer.byteLength(JSON.stringify(toStored(profile)))).toBeLessThan(4096);
    expect(countsIn(pruned, 0, Number.POSITIVE_INFINITY).inbound).toBeGreaterThan(0);
  });

  it('reads a damaged item as null (or without what it cannot read), never throws', () => {
    expect(fromStored({ id: 'x', version: 1, kind: 'hot' })).toBeNull();
    expect(fromStored({ id: 'x', version: 1, kind: 'profile', key: TRUNK, firstMs: 'soon' })).toBeNull();
    const hot = fromStored({
      id: 'hot:a',
      version: 2,
      kind: 'hot',
      key: 'a',
      buckets: '1:2:3:4;garbage;5:x:1:1',
    });
    expect(hot).toMatchObject({
      kind: 'hot',
      buckets: [{ startMs: 60_000, inbound: 2, outbound: 3, spend: 4 }],
    });
  });
});

describe('judging (traffic-drop)', () => {
  const config = alertConfigSchema.parse({});
  const judge = (hot: TrafficHot, profile: TrafficProfile, nowMs: number) => {
    const account = observeLateness(emptyHot(ACCOUNT_KEY), new Array(200).fill(60_000), nowMs);
    const edges = trafficEdges(config, account, nowMs, nowMs - 15_000);
    const drop = judgeTraffic(config, TRUNK, hot, profile, edges, nowMs).find(
      (j) => j.rule.id === 'traffic-drop',
    );
    return drop?.judgement;
  };

  it('judges a trunk with no call at all (absence is the signal), on settled buckets only', () => {
    const { hot, profile } = learnt(7, officeHours);
    // Monday 10:32: no call since 10:00 (the trunk stopped), the baseline expects ~30 in 15 minutes.
    const now = T0 + 7 * DAY_MS + 10 * HOUR_MS + 32 * MIN;
    const judgement = judge(hot, profile, now);
    expect(judgement).toMatchObject({ state: 'breach', detail: { observed: 0, basis: 'weekly' } });
    // The settled edge: 10:30 (the settle time measured: 2 minutes at the least).
    expect(judgement?.detail.toMs).toBe(T0 + 7 * DAY_MS + 10 * HOUR_MS + 30 * MIN);
  });

  it('never pages at night: a window expected to hold fewer than minExpectedCalls is not a drop', () => {
    const { hot, profile } = learnt(7, officeHours);
    const now = T0 + 7 * DAY_MS + 3 * HOUR_MS + 32 * MIN;
    expect(judge(hot, profile, now)?.state).toBe('ok');
  });

  it('stays quiet with an empty baseline (a first run)', () => {
    const now = T0 + 10 * HOUR_MS;
    expect(judge(emptyHot(TRUNK), emptyProfile(TRUNK, T0 + HOUR_MS), now)).toMatchObject({
      state: 'unjudged',
      note: expect.stringContaining('learning'),
    });
  });
});
