/**
 * The percentiles behind the time-to-page table (bench section 7): a p95 that is off by one rank
 * would move the figures that decide whether "page within a minute" holds.
 */
import { minutesSeconds, nearestRank, spreadOf } from '../../../scripts/percentiles';

describe('nearestRank', () => {
  it('is the value at rank ceil(p·n), never an interpolation', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(nearestRank(twenty, 0.5)).toBe(10);
    expect(nearestRank(twenty, 0.95)).toBe(19);
    expect(nearestRank(twenty, 1)).toBe(20);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(hundred, 0.95)).toBe(95);
    expect(nearestRank([1, 2, 3], 0.5)).toBe(2);
    expect(nearestRank([1, 2], 0.5)).toBe(1);
    expect(nearestRank([7], 0.95)).toBe(7);
  });

  it('has nothing to say of no values, and refuses a p outside (0, 1]', () => {
    expect(nearestRank([], 0.5)).toBeNull();
    expect(() => nearestRank([1], 0)).toThrow(RangeError);
    expect(() => nearestRank([1], 1.5)).toThrow(RangeError);
  });
});

describe('spreadOf', () => {
  it('sorts before it ranks, and counts', () => {
    const values = [30, 10, 20, 50, 40, 60, 90, 80, 70, 100];
    expect(spreadOf(values)).toEqual({ n: 10, p50: 50, p95: 100, max: 100 });
    expect(values[0]).toBe(30); // the caller's array is left alone
    expect(spreadOf([])).toEqual({ n: 0, p50: null, p95: null, max: null });
  });

  it('refuses NaN (a sample never taken) instead of sorting it somewhere', () => {
    expect(() => spreadOf([1, Number.NaN])).toThrow(RangeError);
  });
});

describe('minutesSeconds', () => {
  it('prints m:ss, h:mm:ss from an hour, and a dash for nothing', () => {
    expect(minutesSeconds(0)).toBe('0:00');
    expect(minutesSeconds(59_499)).toBe('0:59');
    expect(minutesSeconds(59_500)).toBe('1:00');
    expect(minutesSeconds(754_000)).toBe('12:34');
    expect(minutesSeconds(3_725_000)).toBe('1:02:05');
    expect(minutesSeconds(-5_000)).toBe('-0:05');
    expect(minutesSeconds(null)).toBe('–');
  });
});
