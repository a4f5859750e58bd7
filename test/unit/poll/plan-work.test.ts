import { parseConfig } from '../../../functions/core/config/load-config';
import {
  carriedNoMedia,
  hotSpots,
  insightsShare,
  isHot,
  noMediaInsightsNeeded,
  samplePoint,
  sliceTarget,
  splitRange,
  countDisproved,
  MIN_SLICE_MS,
  tooBig,
} from '../../../functions/core/poll/plan-work';
import { emptyWindow } from '../../../functions/core/windowed/window';
import { makeCall } from '../../support/calls';

const config = parseConfig({ plivo: { maxRequestsPer5s: 300 } }, 'test');
const MIN = 60_000;

describe('insightsShare', () => {
  const base = { config, usableMs: 210_000, intervalMs: 5 * MIN, newSpanMs: 5 * MIN };

  it('is 1 while calls arrive within what the budget serves over an interval', () => {
    // 300 / 5 s = 60 req/s; 85 % usable; 70 % of each interval in a run; 1.05 requests a call: ~34 calls/s.
    const within = insightsShare({ ...base, newCalls: 30 * 300 });
    expect(within.share).toBe(1);
    expect(within.capacityPerSecond).toBeCloseTo(34, 0);
  });

  it('falls to what is left after listing when calls arrive five times faster', () => {
    const over = insightsShare({ ...base, newCalls: 170 * 300 });
    // Sustainable: (60 * 0.85 * 0.7 - 170 / 20) / 170 = 0.16; this run's 51,000 calls in 85 %
    // of its 210 s: 60 * 0.85 * 0.85 * 210 / 51,000 - 1/20 = 0.1285, the smaller.
    expect(over.share).toBeCloseTo(0.1285, 3);
    expect(over.arrivalPerSecond).toBeCloseTo(170, 5);
  });

  it('does not sample a backlog whose calls arrived at the usual rate', () => {
    // Six hours of calls at 20/s: far more than one run, but not an overload.
    expect(insightsShare({ ...base, newCalls: 20 * 6 * 3600, newSpanMs: 6 * 60 * MIN }).share).toBe(1);
  });

  it('is 1 when Plivo gave no count, and 0 when listing alone uses the budget', () => {
    expect(insightsShare({ ...base, newCalls: null }).share).toBe(1);
    expect(insightsShare({ ...base, newCalls: 2000 * 300 }).share).toBe(0);
  });

  it('lets a run that starts behind (more than an interval of calls) still get through its range', () => {
    const late = insightsShare({ ...base, newCalls: 170 * 475, newSpanMs: 475_000 });
    const onTime = insightsShare({ ...base, newCalls: 170 * 300 });
    expect(late.share).toBeLessThan(onTime.share);
    // Its work fits 85 % of the run: calls * (share + 1/20) requests at 85 % of 60/s.
    expect(170 * 475 * (late.share + 0.05)).toBeLessThanOrEqual(60 * 0.85 * 210 * 0.85 + 1e-6);
  });
});

describe('slices', () => {
  it('are sized to about a quarter of the run at the budget, at least 100 calls', () => {
    expect(sliceTarget(config, 210_000, 1)).toBe(Math.floor((60 * 0.85 * 52.5) / 1.05));
    expect(sliceTarget(parseConfig({ plivo: { maxRequestsPer5s: 1 } }, 'test'), 210_000, 1)).toBe(100);
    // Cheaper calls (sampled) make bigger slices.
    expect(sliceTarget(config, 210_000, 0.2)).toBeGreaterThan(sliceTarget(config, 210_000, 1));
  });

  it('split a range into consecutive whole-second parts covering it exactly, none under a minute', () => {
    const range = { from: new Date('2026-11-20T12:00:00Z'), to: new Date('2026-11-20T12:10:00Z') };
    const parts = splitRange(range, 3);
    expect(parts.map((p) => [p.from.toISOString().slice(14, 19), p.to.toISOString().slice(14, 19)])).toEqual([
      ['00:00', '03:20'],
      ['03:20', '06:40'],
      ['06:40', '10:00'],
    ]);
    // Never parts shorter than a minute, however many a count asks for.
    expect(splitRange(range, 1000)).toHaveLength(10);
    expect(splitRange({ from: range.from, to: new Date(range.from.getTime() + 90_000) }, 10)).toHaveLength(1);
  });

  it('are split again only when well over target and at least two minutes long', () => {
    const range = { from: new Date(0), to: new Date(2 * MIN_SLICE_MS) };
    expect(tooBig(range, 250, 100)).toBe(true);
    expect(tooBig(range, 200, 100)).toBe(false);
    expect(tooBig(range, null, 100)).toBe(false);
    expect(tooBig({ from: new Date(0), to: new Date(MIN_SLICE_MS + 59_000) }, 10_000, 100)).toBe(false);
  });

  it('a count is disproved by a slice holding under a quarter of it (and a hundred calls fewer)', () => {
    expect(countDisproved(500_000, 2)).toBe(true);
    expect(countDisproved(120, 10)).toBe(true);
    expect(countDisproved(100, 10)).toBe(false);
    expect(countDisproved(1000, 300)).toBe(false);
    expect(countDisproved(null, 0)).toBe(false);
    // ...or over four times as many: a count far too low.
    expect(countDisproved(1, 500)).toBe(true);
    expect(countDisproved(100, 300)).toBe(false);
  });
});

describe('sampling', () => {
  it('places calls uniformly and the same way every time', () => {
    const points = Array.from({ length: 20_000 }, (_, i) => samplePoint(`call-${i}`));
    expect(samplePoint('call-7')).toBe(points[7]);
    const share = points.filter((p) => p < 0.2).length / points.length;
    expect(share).toBeGreaterThan(0.19);
    expect(share).toBeLessThan(0.21);
  });

  it('puts first the calls of firing groups and of windows past their recovery threshold', () => {
    const firing = {
      status: 'firing',
      labels: { trunk_domain: 'a.zt.plivo.com' },
    } as unknown as Parameters<typeof hotSpots>[0][number];
    const lossConfig = parseConfig(
      { windowedRules: { 'packet-loss-spike': { enabled: true, minCalls: 2 } } },
      'test',
    );
    const rule = lossConfig.windowedRules['packet-loss-spike'];
    const brewing = emptyWindow('w', 'packet-loss-spike', { to_country: 'DE' });
    const now = Date.now();
    const minute = Math.floor(now / MIN);
    // A share of lossy calls between recovery (10 %) and threshold (20 %): near, not firing.
    expect(rule.aggregate).toBe('share');
    expect(rule.recoveryThreshold).toBeLessThan(0.15);
    expect(rule.threshold).toBeGreaterThan(0.15);
    brewing.buckets = [{ minute, calls: 20, hits: 3, sum: 0, values: [] }];
    const quiet = emptyWindow('q', 'packet-loss-spike', { to_country: 'FR' });
    quiet.buckets = [{ minute, calls: 20, hits: 1, sum: 0, values: [] }];

    const hot = hotSpots([firing], [brewing, quiet], lossConfig);
    expect(hot).toEqual([{ trunk_domain: 'a.zt.plivo.com' }, { to_country: 'DE' }]);
    expect(isHot(makeCall({ trunkDomain: 'a.zt.plivo.com', toCountry: 'US' }), hot)).toBe(true);
    expect(isHot(makeCall({ trunkDomain: 'b.zt.plivo.com', toCountry: 'DE' }), hot)).toBe(true);
    expect(isHot(makeCall({ trunkDomain: 'b.zt.plivo.com', toCountry: 'FR' }), hot)).toBe(false);
  });
});

describe('calls without media', () => {
  it('are the unanswered ones with no talk time', () => {
    expect(carriedNoMedia(makeCall({ answerTime: null, durationSec: 0 }))).toBe(true);
    expect(carriedNoMedia(makeCall({ answerTime: null, durationSec: null }))).toBe(true);
    expect(carriedNoMedia(makeCall({ answerTime: '2026-11-20T12:00:00.000Z', durationSec: 0 }))).toBe(false);
    expect(carriedNoMedia(makeCall({ answerTime: null, durationSec: 12 }))).toBe(false);
  });

  it('need Insights only for a post-dial-delay rule (on, or on for some calls by an override)', () => {
    expect(noMediaInsightsNeeded(parseConfig({}, 'test'))).toBe(true);
    const off = { rules: { 'high-post-dial-delay': { enabled: false } } };
    expect(noMediaInsightsNeeded(parseConfig(off, 'test'))).toBe(false);
    expect(
      noMediaInsightsNeeded(
        parseConfig(
          {
            rules: {
              'high-post-dial-delay': {
                enabled: false,
                overrides: [{ scope: { countries: ['US'] }, enabled: true }],
              },
            },
          },
          'test',
        ),
      ),
    ).toBe(true);
  });
});

describe('insightsShare with an overlap read again', () => {
  it('pays for listing the overlap before buying Insights', () => {
    const base = {
      config: parseConfig({ plivo: { maxRequestsPer5s: 300 } }, 'test'),
      usableMs: 50_000,
      intervalMs: MIN,
      newSpanMs: MIN,
      newCalls: 180 * 60,
    };
    const without = insightsShare(base).share;
    const withOverlap = insightsShare({ ...base, rereadCalls: 180 * 60 }).share;
    expect(withOverlap).toBeLessThan(without);
    // Planned work fits 85 % of the run: new calls at share + 1/20, the overlap at 1/20.
    expect(180 * 60 * (withOverlap + 0.05) + 180 * 60 * 0.05).toBeLessThanOrEqual(
      60 * 0.85 * 50 * 0.85 + 1e-6,
    );
  });
});
