import type { AlertConfig } from '../../config/schema';
import type { HealthStore } from '../../ports';

/** Runs of the run log read back to find those of the budget's time (many more than a minute's). */
const RUNS_READ = 60;
/** A run record this far in the future still counts (clocks of two containers differ a little). */
const CLOCK_SKEW_MS = 30_000;

/**
 * Alerts this run may send one by one: `notifications.alertBudget.maxAlerts` less those the runs
 * of the last `perMinutes` sent (the run log), so the budget means the same time at any schedule
 * (at a 1-minute schedule, five runs share what one 5-minute run had). What is over it goes out
 * as a catch-up summary.
 */
export async function alertsAllowed(
  store: Pick<HealthStore, 'listRuns'>,
  config: AlertConfig,
  now: Date,
): Promise<number> {
  const { maxAlerts, perMinutes } = config.notifications.alertBudget;
  const sinceMs = now.getTime() - perMinutes * 60_000;
  const runs = await store.listRuns(RUNS_READ);
  // A record from the future (a skewed clock) or without a count says nothing about the last
  // minutes: it neither holds the budget at 0 until its time comes nor turns it off.
  const latestMs = now.getTime() + CLOCK_SKEW_MS;
  const sent = runs
    .filter((run) => {
      const finishedMs = Date.parse(run.finishedAt);
      return finishedMs > sinceMs && finishedMs <= latestMs;
    })
    .reduce((n, run) => n + (Number.isFinite(run.alertsPublished) ? Math.max(0, run.alertsPublished) : 0), 0);
  return Math.max(0, maxAlerts - sent);
}
