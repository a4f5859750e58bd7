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

  it('the default account: no dimension, as before accounts (existing alarms keep matching)', () => {
    for (const account of [undefined, 'default']) {
      const [main, byRule] = pollMetricLines(summary, false, 0, account).map((l) => JSON.parse(l));
      expect(main._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
      expect(main).not.toHaveProperty('Account');
      expect(byRule._aws.CloudWatchMetrics[0].Dimensions).toEqual([['rule']]);
      const plivo = JSON.parse(
        plivoMetricLine({ throttled: 1, serverErrors: 0, networkErrors: 0, timeouts: 0 }, 0, account),
      );
      expect(plivo._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
    }
  });

  it('another account: every metric under the Account dimension', () => {
    const [main, ...byRule] = pollMetricLines(summary, false, 0, 'acme').map((l) => JSON.parse(l));
    expect(main._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Account']]);
    expect(main).toMatchObject({ Account: 'acme', PollSucceeded: 1, CallsPolled: 120 });
    const declared = main._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
    expect(declared).not.toContain('Account');
    for (const line of byRule) {
      expect(line._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Account', 'rule']]);
      expect(line.Account).toBe('acme');
    }
    const [failed] = pollMetricLines(null, true, 0, 'acme').map((l) => JSON.parse(l));
    expect(failed).toMatchObject({ Account: 'acme', PollFailed: 1 });
    const plivo = JSON.parse(
      plivoMetricLine({ throttled: 2, serverErrors: 0, networkErrors: 0, timeouts: 0 }, 0, 'acme'),
    );
    expect(plivo).toMatchObject({ Account: 'acme', PlivoThrottled: 2 });
    expect(plivo._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Account']]);
  });
});
