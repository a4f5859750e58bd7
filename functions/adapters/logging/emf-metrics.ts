import { DEFAULT_ACCOUNT } from '../../core/accounts';
import { insightsCoverage, type PollSummary } from '../../core/poll/run-context';
import { METRICS } from '../../core/contract';

/**
 * The dimension set of one account's metrics. The default account's have none (as before
 * accounts, so existing alarms and dashboards keep working); any other's `Account`.
 */
function accountDimension(account: string | undefined): { names: string[]; values: Record<string, string> } {
  if (account === undefined || account === DEFAULT_ACCOUNT) return { names: [], values: {} };
  return { names: [METRICS.accountDimension], values: { [METRICS.accountDimension]: account } };
}

/**
 * CloudWatch Embedded Metric Format lines for one run. Lambda ships stdout to CloudWatch
 * Logs, which turns these lines into metrics: no PutMetricData call, no extra permission.
 * `account`: the Plivo account the run was for (none or "default": no `Account` dimension).
 */
export function pollMetricLines(
  summary: PollSummary | null,
  failed: boolean,
  timestampMs: number,
  account?: string,
): string[] {
  const dimension = accountDimension(account);
  const values: Record<string, number> = {
    [METRICS.pollSucceeded]: failed ? 0 : 1,
    [METRICS.pollFailed]: failed ? 1 : 0,
  };
  if (summary) {
    values[METRICS.callsPolled] = summary.callsSeen;
    values[METRICS.insightsFetched] = summary.insightsFetched;
    values[METRICS.insightsNotReady] = summary.insightsNotReady;
    values[METRICS.findings] = summary.findings;
    values[METRICS.alertsPublished] = summary.alertsPublished;
    values[METRICS.duplicatesSuppressed] = summary.duplicatesSuppressed;
    values[METRICS.alertsSilenced] = summary.alertsSilenced;
    values[METRICS.incidentNotices] = summary.groupNotices + summary.windowNotices;
    values[METRICS.recordsSkipped] = summary.recordsSkipped;
    values[METRICS.publishFailures] = summary.publishFailures;
    values[METRICS.alertsDeadLettered] = summary.alertsDeadLettered;
    values[METRICS.insightsRefused] = summary.insightsRefused;
    values[METRICS.insightsSampledOut] = summary.insightsSampledOut;
    values[METRICS.insightsSkippedNoMedia] = summary.insightsSkippedNoMedia;
    values[METRICS.insightsCoverage] = Math.round(insightsCoverage(summary) * 1000) / 10;
    values[METRICS.slicesLeft] = summary.slicesLeft;
    if (summary.lagSeconds !== null) values[METRICS.pollLagSeconds] = summary.lagSeconds;
  }
  const lines = [
    JSON.stringify({
      _aws: {
        Timestamp: timestampMs,
        CloudWatchMetrics: [
          {
            Namespace: METRICS.namespace,
            Dimensions: [dimension.names],
            Metrics: Object.keys(values).map((name) => ({
              Name: name,
              Unit:
                name === METRICS.pollLagSeconds
                  ? 'Seconds'
                  : name === METRICS.insightsCoverage
                    ? 'Percent'
                    : 'Count',
            })),
          },
        ],
      },
      ...dimension.values,
      ...values,
    }),
  ];
  for (const [rule, count] of Object.entries(summary?.alertsPublishedByRule ?? {})) {
    lines.push(
      JSON.stringify({
        _aws: {
          Timestamp: timestampMs,
          CloudWatchMetrics: [
            {
              Namespace: METRICS.namespace,
              Dimensions: [[...dimension.names, 'rule']],
              Metrics: [{ Name: METRICS.alertsByRule, Unit: 'Count' }],
            },
          ],
        },
        ...dimension.values,
        rule,
        [METRICS.alertsByRule]: count,
      }),
    );
  }
  return lines;
}

/** Plivo request counters, reported as metrics too. */
export function plivoMetricLine(
  stats: { throttled: number; serverErrors: number; networkErrors: number; timeouts: number },
  timestampMs: number,
  account?: string,
): string {
  const dimension = accountDimension(account);
  const values = {
    [METRICS.plivoThrottled]: stats.throttled,
    [METRICS.plivoErrors]: stats.serverErrors + stats.networkErrors + stats.timeouts,
  };
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: METRICS.namespace,
          Dimensions: [dimension.names],
          Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    ...dimension.values,
    ...values,
  });
}
