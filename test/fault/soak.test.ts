/**
 * A short soak (two simulated hours, fixed seed) on every test run: random Plivo faults, SNS
 * refusals and crashes switched on and off run by run, checked against the traffic's ground
 * truth. `npm run soak` runs the long version.
 */
import { formatReport, runSoak, soakPassed } from '../../scripts/soak';

describe('soak: two simulated hours of faults', () => {
  it('loses no alert and repeats none outside the documented crash window', async () => {
    const report = await runSoak({ hours: 2, seed: 32 });
    const summary = formatReport(report);

    expect({ lost: report.lostKeys, unexplained: report.duplicatedKeys }).toEqual({
      lost: [],
      unexplained: [],
    });
    expect(report.duplicatesUnexplained).toBe(0);
    // The soak did meet trouble, and still delivered.
    expect(report.runsCrashed + report.runsFailed).toBeGreaterThan(0);
    expect(report.findingsExpected).toBeGreaterThan(20);
    expect(report.findingsDelivered + report.judgedWithoutInsights + report.findingsDeadLettered).toBe(
      report.findingsExpected,
    );
    expect(summary).toMatch(/lost\s+0/);
  }, 60_000);

  it('in incident mode, with SNS refusing some messages for good, Plivo refusing some Insights and the token rotated: nothing lost, every failure seen', async () => {
    const report = await runSoak({ mode: 'incident', hours: 2, seed: 32 });
    expect({ lost: report.lostKeys, unexplained: report.duplicatedKeys }).toEqual({
      lost: [],
      unexplained: [],
    });
    expect(soakPassed(report)).toBe(true);
    // It met every kind of trouble it claims to survive.
    expect(report.runsFailed).toBeGreaterThan(0);
    expect(report.runsFailedWithMetric).toBe(report.runsFailed);
    expect(report.failureStreaks).toBeGreaterThan(0);
    expect(report.opsFailingMessages).toBeGreaterThanOrEqual(report.failureStreaks);
    expect(report.deadLetters).toBeGreaterThan(0);
    expect(report.deadLettersUnreported).toBe(0);
    expect(report.insightsRefusedCalls).toBeGreaterThan(0);
    expect(report.tokenRotatedAt).not.toBeNull();
    expect(report.authFailuresAfterRotation).toBe(0);
    expect(report.incidentsFired).toBeGreaterThan(0);
    expect(report.incidentsResolved).toBe(report.incidentsFired);
    expect(report.findingsDelivered + report.judgedWithoutInsights + report.findingsDeadLettered).toBe(
      report.findingsExpected,
    );
  }, 60_000);
});
