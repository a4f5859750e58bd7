import { backoffMs, utc } from '../../functions/core/time';

describe('backoffMs', () => {
  const at = (retry: number, random: number, jitter: 'full' | 'equal') =>
    backoffMs(retry, { baseMs: 100, capMs: 1000, random: () => random, jitter });

  it('doubles the ceiling per retry up to the cap', () => {
    expect([1, 2, 3, 4, 5, 9].map((r) => at(r, 0.999999, 'full'))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('full jitter can wait nothing; equal jitter waits at least half the ceiling', () => {
    expect(at(3, 0, 'full')).toBe(0);
    expect(at(3, 0, 'equal')).toBe(200);
    expect(at(3, 0.5, 'equal')).toBe(300);
  });
});

describe('utc', () => {
  it('renders an instant for people, and says when there is none', () => {
    expect(utc('2024-01-15T14:32:00.000Z')).toBe('2024-01-15 14:32:00 UTC');
    expect(utc(Date.parse('2024-01-15T14:32:00.000Z'))).toBe('2024-01-15 14:32:00 UTC');
    expect(utc(null)).toBe('unknown');
    expect(utc(undefined, '-')).toBe('-');
    expect(utc('not a time')).toBe('not a time');
  });
});
