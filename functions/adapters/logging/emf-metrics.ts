import type { GenericLogger } from '@aws-lambda-powertools/commons/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULT_ACCOUNT } from '../../core/accounts';
import { METRICS } from '../../core/contract';
import { incidentNoticesOf, insightsCoverage, type PollSummary } from '../../core/poll/run-context';

export interface PollerMetricsOptions {
  /**
   * Where each CloudWatch Embedded Metric Format document goes, as one line (default: stdout,
   * which Lambda ships to CloudWatch Logs, which turns it into metrics: no PutMetricData call,
   * no extra permission).
   */
  write?: (line: string) => void;
  /** Where Powertools' own warnings go (default: the console). */
  logger?: GenericLogger;
}

const toStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

/**
 * Powertools for AWS Lambda's Metrics in the ZentrunkAlerts namespace, published by its
 * `logMetrics` middleware (with the ColdStart metric). Two pieces stay hand-written, as
 * Powertools has no option for them:
 * - no `service` dimension: Powertools adds one to every metric (singleMetric() too), while the
 *   alarms and dashboard (lib/operations.ts) match the dimension sets the poller always emitted:
 *   none or `Account`, plus `rule` for AlertsByRule;
 * - the sink: Powertools prints to a private console on stdout; `write` lets the tests and the
 *   local runner take the very lines Powertools would print.
 */
export class PollerMetrics extends Metrics {
  readonly #options: PollerMetricsOptions;
  readonly #write: (line: string) => void;

  constructor(options: PollerMetricsOptions = {}, singleMetric = false) {
    super({ namespace: METRICS.namespace, logger: options.logger, singleMetric });
    this.clearDefaultDimensions();
    this.#options = options;
    this.#write = options.write ?? toStdout;
  }

  /** Published on its first metric, with only the dimensions given to it (no `service`). */
  override singleMetric(): PollerMetrics {
    return new PollerMetrics(this.#options, true);
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics() && !this.isDisabled()) {
        const document = this.serializeMetrics();
        // A metric with no dimension is one empty dimension set ([[]], as the run's document has
        // it), never no set at all, which a single metric without dimensions would otherwise get.
        for (const directive of document._aws.CloudWatchMetrics as Array<{ Dimensions: string[][] }>) {
          if (directive.Dimensions.length === 0) directive.Dimensions = [[]];
        }
        this.#write(JSON.stringify(document));
      }
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}

/** The Plivo client's request counters over one run. */
export interface PlivoRequestCounts {
  throttled: number;
  serverErrors: number;
  networkErrors: number;
  timeouts: number;
}

export interface RunMetrics {
  /** The Plivo account the run was for (none or "default": no `Account` dimension). */
  account?: string;
  summary: PollSummary | null;
  failed: boolean;
  /** The Plivo client's counters over the run; none when the run could not start. */
  plivo?: PlivoRequestCounts;
}

/**
 * One run's metrics. They are stored on `metrics` (the `logMetrics` middleware publishes them as
 * one document when the invocation ends); the per-rule counts, each under its own `rule`, are
 * published at once.
 */
export function addRunMetrics(metrics: PollerMetrics, run: RunMetrics): void {
  // The run's one dimension set: none for the default account (`Dimensions: [[]]`, as before
  // accounts, so existing alarms and dashboards keep matching), `Account` for any other.
  const account: Record<string, string> =
    run.account === undefined || run.account === DEFAULT_ACCOUNT
      ? {}
      : { [METRICS.accountDimension]: run.account };
  metrics.addDimensions(account);
  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  count(METRICS.pollSucceeded, run.failed ? 0 : 1);
  count(METRICS.pollFailed, run.failed ? 1 : 0);
  const { summary, plivo } = run;
  if (summary) {
    count(METRICS.callsPolled, summary.callsSeen);
    count(METRICS.insightsFetched, summary.insightsFetched);
    count(METRICS.insightsNotReady, summary.insightsNotReady);
    count(METRICS.findings, summary.findings);
    count(METRICS.alertsPublished, summary.alertsPublished);
    count(METRICS.duplicatesSuppressed, summary.duplicatesSuppressed);
    count(METRICS.alertsSilenced, summary.alertsSilenced);
    count(METRICS.incidentNotices, incidentNoticesOf(summary));
    count(METRICS.recordsSkipped, summary.recordsSkipped);
    count(METRICS.publishFailures, summary.publishFailures);
    count(METRICS.alertsDeadLettered, summary.alertsDeadLettered);
    count(METRICS.insightsRefused, summary.insightsRefused);
    count(METRICS.insightsSampledOut, summary.insightsSampledOut);
    count(METRICS.insightsSkippedNoMedia, summary.insightsSkippedNoMedia);
    const coverage = Math.round(insightsCoverage(summary) * 1000) / 10;
    metrics.addMetric(METRICS.insightsCoverage, MetricUnit.Percent, coverage);
    count(METRICS.slicesLeft, summary.slicesLeft);
    if (summary.lagSeconds !== null) {
      metrics.addMetric(METRICS.pollLagSeconds, MetricUnit.Seconds, summary.lagSeconds);
    }
    // The account's traffic against its baseline (the dashboard); an expected value only once learnt.
    const traffic = summary.trafficAccount;
    if (traffic) {
      count(METRICS.trafficCalls, traffic.calls);
      if (traffic.expectedCalls !== null) count(METRICS.trafficExpectedCalls, traffic.expectedCalls);
      metrics.addMetric(METRICS.trafficSpend, MetricUnit.NoUnit, traffic.spend);
      if (traffic.expectedSpend !== null) {
        metrics.addMetric(METRICS.trafficExpectedSpend, MetricUnit.NoUnit, traffic.expectedSpend);
      }
    }
  }
  if (plivo) {
    count(METRICS.plivoThrottled, plivo.throttled);
    count(METRICS.plivoErrors, plivo.serverErrors + plivo.networkErrors + plivo.timeouts);
  }
  for (const [rule, alerts] of Object.entries(summary?.alertsPublishedByRule ?? {})) {
    metrics
      .singleMetric()
      .addDimensions({ ...account, rule })
      .addMetric(METRICS.alertsByRule, MetricUnit.Count, alerts);
  }
}
