/**
 * Time kept by runs. The poller runs on a schedule (`deployment.scheduleMinutes`, handed to the
 * function as POLL_SCHEDULE_SECONDS), and the settings that used to count runs (flap control,
 * the wait for Insights, the failures before operations are told) are minutes, so that they
 * mean the same wall-clock time at any schedule. A run that counts towards one of them counts
 * the schedule interval it ran in, not the time it measured since the run before: the sum is
 * then exact (10 minutes are two 5-minute runs or ten 1-minute ones, however late a run started
 * or ended), a run that did not happen (throttled, crashed) adds nothing, and what was counted
 * at one schedule keeps its length after the schedule changes. The time is kept in the state
 * (in ms), never a count of runs.
 */

export const MINUTE_MS = 60_000;

/**
 * Without a schedule interval from the deployment (every deployed run is told it: local runs, the
 * CLI and tests are not): 5 minutes, so that each of a demo's few runs stands for a few minutes.
 */
export const DEFAULT_SCHEDULE_INTERVAL_MS = 5 * MINUTE_MS;

/** The interval a run stands for: the deployment's schedule, or the default when the run was not told. */
export function runIntervalMs(scheduleIntervalMs: number | undefined): number {
  return scheduleIntervalMs !== undefined && Number.isFinite(scheduleIntervalMs) && scheduleIntervalMs > 0
    ? scheduleIntervalMs
    : DEFAULT_SCHEDULE_INTERVAL_MS;
}

/** True once time kept by runs has reached a setting in minutes. */
export function reachesMinutes(keptMs: number, minutes: number): boolean {
  return keptMs >= minutes * MINUTE_MS;
}

/**
 * Time kept by runs as stored, or, for a state item written before the time was kept (a count
 * of runs only), that count at the current interval: the closest reading there is, exact
 * unless the schedule changed while the item was live.
 */
export function keptMs(stored: unknown, runs: number, intervalMs: number): number {
  return typeof stored === 'number' && Number.isFinite(stored) && stored >= 0 ? stored : runs * intervalMs;
}
