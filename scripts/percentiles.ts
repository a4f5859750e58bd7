/**
 * Percentiles for the benchmark's latency tables (section 7): nearest rank, the definition the
 * windowed rules use for p95 (functions/core/windowed/window.ts), so that a p95 is always a value
 * that was measured, never one interpolated between two.
 */

/** The nearest-rank p-th quantile (0 < p <= 1) of values sorted ascending; null when empty. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 1)) throw new RangeError(`p must be in (0, 1], got ${p}`);
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

export interface Spread {
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** n, p50, p95 and max of values in any order (NaN is refused: a sample that was never taken). */
export function spreadOf(values: readonly number[]): Spread {
  if (values.some((v) => Number.isNaN(v))) throw new RangeError('spreadOf: NaN among the values');
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: nearestRank(sorted, 0.5),
    p95: nearestRank(sorted, 0.95),
    max: sorted.length === 0 ? null : (sorted[sorted.length - 1] as number),
  };
}

/** A duration as m:ss (h:mm:ss from an hour), rounded to the second; '–' for none. */
export function minutesSeconds(ms: number | null): string {
  if (ms === null) return '–';
  const total = Math.round(ms / 1000);
  const sign = total < 0 ? '-' : '';
  const abs = Math.abs(total);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = String(abs % 60).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${s}` : `${sign}${m}:${s}`;
}
