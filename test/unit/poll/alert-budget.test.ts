/**
 * notifications.alertBudget: alerts sent one by one in any `perMinutes`, counted over the run
 * log, so a 1-minute schedule does not page five times as often as a 5-minute one did.
 */
import { MemoryStateStore } from '../../../functions/adapters/memory/memory-state-store';
import { parseConfig } from '../../../functions/core/config/load-config';
import { alertsAllowed } from '../../../functions/core/poll/stages/alert-budget';
import { completedRun } from '../../support/run-record';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;

const run = (finishedMinutesAgo: number, alertsPublished: number) =>
  completedRun(new Date(NOW - finishedMinutesAgo * MIN), alertsPublished);

describe('alertsAllowed', () => {
  const config = parseConfig({ notifications: { alertBudget: { maxAlerts: 25, perMinutes: 5 } } });

  it('is the whole budget with no run in the last perMinutes', async () => {
    const store = new MemoryStateStore(() => NOW);
    await store.recordRun(run(6, 25));
    expect(await alertsAllowed(store, config, new Date(NOW))).toBe(25);
  });

  it('takes off what the runs of the last 5 minutes sent: 1-minute runs share one budget', async () => {
    const store = new MemoryStateStore(() => NOW);
    for (const [ago, sent] of [
      [6, 25],
      [4, 10],
      [3, 0],
      [2, 8],
      [1, 4],
    ] as const) {
      await store.recordRun(run(ago, sent));
    }
    expect(await alertsAllowed(store, config, new Date(NOW))).toBe(3);
    await store.recordRun(run(0.5, 9));
    expect(await alertsAllowed(store, config, new Date(NOW))).toBe(0);
  });

  it('ignores a record dated in the future, or without a count: neither holds the budget at 0 nor turns it off', async () => {
    const store = new MemoryStateStore(() => NOW);
    await store.recordRun(run(-7 * 24 * 60, 25)); // a week ahead (a skewed clock)
    await store.recordRun({ ...run(1, 0), alertsPublished: Number.NaN });
    await store.recordRun(run(2, 5));
    expect(await alertsAllowed(store, config, new Date(NOW))).toBe(20);
  });

  it('rejects the run-counted maxAlertsPerRun, naming its replacement', () => {
    expect(() => parseConfig({ notifications: { maxAlertsPerRun: 10 } })).toThrow(
      /notifications\.maxAlertsPerRun: .*use alertBudget \(minutes\) instead.*"alertBudget": \{"maxAlerts": 10, "perMinutes": 5\}/,
    );
  });
});
