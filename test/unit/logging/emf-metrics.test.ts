import { plivoMetricLine, pollMetricLines } from '../../../functions/adapters/logging/emf-metrics';
import type { PollSummary } from '../../../functions/core/poll/poll-use-case';

const summary = {
  callsSeen: 120,
  insightsFetched: 110,
  insightsNotReady: 10,
  findings: 7,
  alertsPublished: 5,
  duplicatesSuppressed: 2,
  recordsSkipped: 1,
  alertsSilenced: 3,
  groupNotices: 2,
  windowNotices: 1,
  lagSeconds: 42,
  alertsPublishedByRule: { 'packet-loss': 4, 'zentrunk-hangup': 1 },
} as unknown as PollSummary;

describe('CloudWatch EMF metric lines', () => {
  it('declare every value they carry, in the ZentrunkAlerts namespace', () => {
    const [main, ...byRule] = pollMetricLines(summary, false, 1_700_000_000_000).map((l) => JSON.parse(l));
    expect(main).toMatchObject({
      PollSucceeded: 1,
      PollFailed: 0,
      CallsPolled: 120,
      AlertsSilenced: 3,
      IncidentNotices: 3,
      PollLagSeconds: 42,
    });
    const declared = main._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
    for (const name of Object.keys(main).filter((k) => k !== '_aws')) expect(declared).toContain(name);
    expect(main._aws.CloudWatchMetrics[0].Namespace).toBe('ZentrunkAlerts');
    expect(byRule.map((l) => [l.rule, l.AlertsByRule])).toEqual([
      ['packet-loss', 4],
      ['zentrunk-hangup', 1],
    ]);
  });

  it('report a failed start with only the failure', () => {
    const [line] = pollMetricLines(null, true, 0).map((l) => JSON.parse(l));
    expect(line).toMatchObject({ PollSucceeded: 0, PollFailed: 1 });
    expect(line).not.toHaveProperty('CallsPolled');
    expect(
      JSON.parse(plivoMetricLine({ throttled: 2, serverErrors: 1, networkErrors: 1, timeouts: 1 }, 0)),
    ).toMatchObject({ PlivoThrottled: 2, PlivoErrors: 3 });
  });
});
