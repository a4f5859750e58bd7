import type { AlertConfig } from '../../config/schema';
import type { HealthStore } from '../../ports';

/** Runs of the run log read back to find those of the budget's time (many more than a minute's). */
const RUNS_READ = 60;

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
  const sent = runs
    .filter((run) => Date.parse(run.finishedAt) > sinceMs)
    .reduce((n, run) => n + Math.max(0, run.alertsPublished), 0);
  return Math.max(0, maxAlerts - sent);
}
