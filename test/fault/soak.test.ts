/**
 * A short soak (two simulated hours, fixed seed) on every test run: random Plivo faults, SNS
 * refusals and crashes switched on and off run by run, checked against the traffic's ground
 * truth. `npm run soak` runs the long version.
 */
import { formatReport, runSoak } from '../../scripts/soak';

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
    expect(report.findingsDelivered + report.judgedWithoutInsights).toBe(report.findingsExpected);
    expect(summary).toMatch(/lost\s+0/);
  }, 60_000);
});
