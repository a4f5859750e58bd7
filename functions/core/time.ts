/** Small time helpers shared by the poller, its adapters and the CLI: one of each. */

/** Waits `ms` milliseconds (the real clock; tests inject their own). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Exponential backoff: the ceiling doubles from `baseMs` up to `capMs` with each retry (1, 2,
 * …). `full` jitter waits random() × ceiling (AWS's advice for independent clients); `equal`
 * waits at least half the ceiling (for retrying the same work, e.g. unprocessed batch items).
 */
export function backoffMs(
  retry: number,
  options: { baseMs: number; capMs: number; random: () => number; jitter: 'full' | 'equal' },
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** (Math.max(1, retry) - 1));
  const r = options.random();
  return Math.floor(options.jitter === 'full' ? r * ceiling : ceiling / 2 + (r * ceiling) / 2);
}

/** "2024-01-15T14:32:00.000Z" (or a Date or epoch ms) → "2024-01-15 14:32:00 UTC"; `missing` when absent. */
export function utc(at: string | number | Date | null | undefined, missing = 'unknown'): string {
  if (at === null || at === undefined) return missing;
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
