import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploymentConfig } from './config/deployment-schema';
import { METRICS } from '../functions/core/contract';

export interface OperationsProps {
  readonly config: DeploymentConfig['operations'];
  readonly topic: ITopic;
  readonly pollerFunction: IFunction;
  readonly timeout: Duration;
  readonly failedRuns: IQueue;
  readonly scheduleInterval: Duration;
  /** The watched Plivo accounts: each gets its own alarms on what its runs report. */
  readonly accounts: ReadonlyArray<{ name: string; isDefault: boolean }>;
}

/** About the function as a whole: Lambda's metrics and the failed-runs queue know no account. */
type FunctionAlarmName =
  | 'poller-errors'
  | 'poller-throttles'
  | 'poller-duration-near-timeout'
  | 'failed-runs-queued'
  | 'invocations-rejected';
/** About one account: what its runs report (the poller's metrics, with its Account dimension). */
type AccountAlarmName = 'no-successful-poll' | 'plivo-throttled' | 'alerts-dead-lettered';

type Account = OperationsProps['accounts'][number];

/**
 * Watching the watcher: alarms on the poller's health (to the operations topic, on ALARM and on
 * OK) and a dashboard of what it does. Alarm names start with the stack name, which is what
 * the operations topic's policy allows. The alarms on what runs report are per Plivo account
 * (`<stack>-<account>-no-successful-poll`; the default account's keep their names and their
 * dimensionless metrics); those on the function itself cover every account (Lambda's errors,
 * throttles and durations and the failed-runs queue have no account: the failed run's log
 * lines, its queued event and its operations message name it).
 */
export class Operations extends Construct {
  readonly alarms: Record<FunctionAlarmName, Alarm>;
  /** By account name. */
  readonly accountAlarms: ReadonlyMap<string, Record<AccountAlarmName, Alarm>>;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const interval = props.scheduleInterval;
    const intervalMinutes = interval.toMinutes();
    const periodsIn = (minutes: number) => Math.max(1, Math.ceil(minutes / intervalMinutes));
    const fn = props.pollerFunction;
    const timeoutMs = props.timeout.toMilliseconds();
    const durationThresholdMs = Math.floor((timeoutMs * props.config.durationAlarmPercent) / 100);
    const noSuccessPeriods = periodsIn(props.config.noSuccessfulPollMinutes);
    const throttledPeriods = periodsIn(props.config.plivoThrottledMinutes);

    const alarm = (
      name: string,
      description: string,
      options: {
        metric: IMetric;
        threshold: number;
        comparison?: ComparisonOperator;
        periods?: number;
        missing?: TreatMissingData;
      },
    ): Alarm => {
      const periods = options.periods ?? 1;
      return new Alarm(this, name, {
        alarmName: `${stackName}-${name}`,
        alarmDescription: description,
        metric: options.metric,
        threshold: options.threshold,
        comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
      });
    };

    this.alarms = {
      'poller-errors': alarm(
        'poller-errors',
        'A poll run failed (the function threw). See its logs (the account is in each line).',
        { metric: fn.metricErrors({ period: interval, statistic: 'Sum' }), threshold: 1 },
      ),
      'poller-throttles': alarm(
        'poller-throttles',
        'A poll run was throttled: a run was still going when the next one was due (reserved concurrency: one per account).',
        { metric: fn.metricThrottles({ period: interval, statistic: 'Sum' }), threshold: 1 },
      ),
      'poller-duration-near-timeout': alarm(
        'poller-duration-near-timeout',
        `A poll run took ${props.config.durationAlarmPercent} % or more of the ${props.timeout.toSeconds()} s timeout: ` +
          'the backlog or Plivo latency is growing; raise the timeout or lower poll.maxWindowMinutes.',
        {
          metric: fn.metricDuration({ period: interval, statistic: 'Maximum' }),
          threshold: durationThresholdMs,
        },
      ),
      'failed-runs-queued': alarm(
        'failed-runs-queued',
        'The failed-runs queue holds messages: a run failed or a schedule tick was not delivered. ' +
          'Read the messages for the error, then purge the queue.',
        {
          metric: props.failedRuns.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
          threshold: 1,
        },
      ),
      // A run started for an account the config does not watch, or with an event the poller
      // cannot read: a deployment fault that no retry fixes, and one that another account's
      // successful runs would hide from no-successful-poll. Fires on the first one.
      'invocations-rejected': alarm(
        'invocations-rejected',
        'A poll run was started for a Plivo account the deployed config does not watch, or with an event the poller ' +
          'cannot read; it polled nothing. From a schedule rule: `cdk deploy` the config in use. The run log ' +
          '(`zentrunk-alerts status`) and the poller logs say which.',
        {
          metric: new Metric({
            namespace: METRICS.namespace,
            metricName: METRICS.invocationsRejected,
            period: interval,
            statistic: 'Sum',
          }),
          threshold: 1,
        },
      ),
    };

    const accountAlarms = (account: Account): Record<AccountAlarmName, Alarm> => {
      // The default account's alarms keep the names (and construct ids) they had before accounts.
      const named = (name: AccountAlarmName) => (account.isDefault ? name : `${account.name}-${name}`);
      const about = account.isDefault ? '' : `Plivo account ${account.name}: `;
      const metric = (metricName: string) => accountMetric(metricName, account, interval);
      return {
        // Missing data breaches: a poller that never runs emits nothing, and that is the failure.
        'no-successful-poll': alarm(
          named('no-successful-poll'),
          `${about}No poll run has succeeded for ${noSuccessPeriods * intervalMinutes} minutes: calls are not being checked.`,
          {
            metric: metric(METRICS.pollSucceeded),
            threshold: 1,
            comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
            periods: noSuccessPeriods,
            missing: TreatMissingData.BREACHING,
          },
        ),
        'plivo-throttled': alarm(
          named('plivo-throttled'),
          `${about}Plivo has answered 429 Too Many Requests in every run for ${throttledPeriods * intervalMinutes} minutes: ` +
            `lower ${account.isDefault ? 'plivo.maxRequestsPer5s' : "the account's maxRequestsPer5s"} or find what else uses the account.`,
          { metric: metric(METRICS.plivoThrottled), threshold: 1, periods: throttledPeriods },
        ),
        'alerts-dead-lettered': alarm(
          named('alerts-dead-lettered'),
          `${about}SNS refused an alert for good, run after run, and the poller set it aside as a dead letter: nobody was ` +
            `paged for it. The operations message names it; \`zentrunk-alerts status${account.isDefault ? '' : ` --account ${account.name}`}\` lists dead letters.`,
          { metric: metric(METRICS.alertsDeadLettered), threshold: 1 },
        ),
      };
    };
    this.accountAlarms = new Map(props.accounts.map((account) => [account.name, accountAlarms(account)]));

    const action = new SnsAction(props.topic);
    for (const each of this.allAlarms()) {
      each.addAlarmAction(action);
      each.addOkAction(action);
    }

    this.dashboard = this.buildDashboard(stackName, props);
  }

  /** Every alarm: the function's, then each account's. */
  allAlarms(): Alarm[] {
    return [
      ...Object.values(this.alarms),
      ...[...this.accountAlarms.values()].flatMap((alarms) => Object.values(alarms)),
    ];
  }

  private buildDashboard(stackName: string, props: OperationsProps): Dashboard {
    const fn = props.pollerFunction;
    const interval = props.scheduleInterval;
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) =>
      new GraphWidget({ title, left, right, width, height: 6 });

    /** What one account's runs report; the default account's graphs keep their titles. */
    const accountRows = (account: Account): IWidget[][] => {
      const poller = (metricName: string, statistic = 'Sum') =>
        accountMetric(metricName, account, interval, statistic);
      const title = (text: string) => (account.isDefault ? text : `${account.name}: ${text}`);
      const search = account.isDefault
        ? `{${METRICS.namespace},rule} MetricName="${METRICS.alertsByRule}"`
        : `{${METRICS.namespace},${METRICS.accountDimension},rule} ${METRICS.accountDimension}="${account.name}" MetricName="${METRICS.alertsByRule}"`;
      const alertsByRule = new MathExpression({
        expression: `SEARCH('${search}', 'Sum', ${interval.toSeconds()})`,
        label: '',
        period: interval,
        usingMetrics: {},
      });
      return [
        ...(props.accounts.length > 1
          ? [[new TextWidget({ markdown: `## Plivo account ${account.name}`, width: 24, height: 1 })]]
          : []),
        [
          graph(title('Poll runs'), [
            poller(METRICS.pollSucceeded).with({ label: 'succeeded' }),
            poller(METRICS.pollFailed).with({ label: 'failed' }),
          ]),
          graph(
            title('Calls polled'),
            [poller(METRICS.callsPolled).with({ label: 'calls' })],
            [poller(METRICS.recordsSkipped).with({ label: 'records skipped' })],
          ),
          graph(
            title('Insights'),
            [
              poller(METRICS.insightsFetched).with({ label: 'fetched' }),
              poller(METRICS.insightsNotReady).with({ label: 'not ready yet' }),
              poller(METRICS.insightsRefused).with({ label: 'refused for the call' }),
              poller(METRICS.insightsSampledOut).with({ label: 'sampled out (over budget)' }),
              poller(METRICS.insightsSkippedNoMedia).with({ label: 'no media, not needed' }),
            ],
            [poller(METRICS.insightsCoverage, 'Minimum').with({ label: 'coverage % (min)' })],
          ),
        ],
        [
          graph(
            title('Alerts'),
            [
              poller(METRICS.findings).with({ label: 'findings' }),
              poller(METRICS.alertsPublished).with({ label: 'published' }),
              poller(METRICS.duplicatesSuppressed).with({ label: 'duplicates suppressed' }),
              poller(METRICS.alertsSilenced).with({ label: 'silenced' }),
              poller(METRICS.incidentNotices).with({ label: 'incident notices' }),
              poller(METRICS.publishFailures).with({ label: 'publish failures' }),
              poller(METRICS.alertsDeadLettered).with({ label: 'dead letters' }),
            ],
            [],
            6,
          ),
          graph(title('Alerts by rule'), [alertsByRule], [], 6),
          graph(
            title('Plivo API'),
            [
              poller(METRICS.plivoErrors).with({ label: 'errors' }),
              poller(METRICS.plivoThrottled).with({ label: '429 throttled' }),
            ],
            [],
            6,
          ),
          graph(
            title('Poll lag (seconds behind now)'),
            [poller(METRICS.pollLagSeconds, 'Maximum').with({ label: 'max lag' })],
            [poller(METRICS.slicesLeft, 'Maximum').with({ label: 'slices left for the next run' })],
            6,
          ),
        ],
        // Each run reports the account's last settled traffic-drop window (the same one for a few
        // runs, so the average of a period) and what the traffic baseline expects in it.
        [
          graph(
            title('Traffic: calls vs baseline (last settled window)'),
            [
              poller(METRICS.trafficCalls, 'Average').with({ label: 'calls' }),
              poller(METRICS.trafficExpectedCalls, 'Average').with({ label: 'expected (baseline)' }),
            ],
            [],
            12,
          ),
          graph(
            title('Traffic: outbound spend vs baseline (USD, last settled window)'),
            [
              poller(METRICS.trafficSpend, 'Average').with({ label: 'spend' }),
              poller(METRICS.trafficExpectedSpend, 'Average').with({ label: 'expected (baseline)' }),
            ],
            [],
            12,
          ),
        ],
      ];
    };

    return new Dashboard(this, 'Dashboard', {
      dashboardName: stackName,
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new TextWidget({
            markdown:
              `# ${stackName}\nZentrunk call-quality alerter: one poll run every ${interval.toMinutes()} minutes` +
              (props.accounts.length > 1
                ? ` for each of ${props.accounts.length} Plivo accounts (${props.accounts.map((a) => a.name).join(', ')}).`
                : '.'),
            width: 24,
            height: 2,
          }),
        ],
        [
          new AlarmStatusWidget({
            title: 'Alarms',
            alarms: this.allAlarms(),
            width: 24,
            height: props.accounts.length > 1 ? 3 + Math.ceil(props.accounts.length / 2) : 3,
          }),
        ],
        ...props.accounts.flatMap(accountRows),
        [
          graph(
            'Function errors and throttles',
            [
              fn.metricInvocations({ period: interval, statistic: 'Sum' }).with({ label: 'invocations' }),
              fn.metricErrors({ period: interval, statistic: 'Sum' }).with({ label: 'errors' }),
              fn.metricThrottles({ period: interval, statistic: 'Sum' }).with({ label: 'throttles' }),
            ],
            [
              props.failedRuns
                .metricApproximateNumberOfMessagesVisible({ period: interval, statistic: 'Maximum' })
                .with({ label: 'failed runs queued' }),
            ],
            12,
          ),
          new GraphWidget({
            title: 'Function duration (ms)',
            left: [
              fn.metricDuration({ period: interval, statistic: 'Average' }).with({ label: 'average' }),
              fn.metricDuration({ period: interval, statistic: 'Maximum' }).with({ label: 'max' }),
            ],
            leftAnnotations: [{ value: props.timeout.toMilliseconds(), label: 'timeout' }],
            width: 12,
            height: 6,
          }),
        ],
      ],
    });
  }
}

/**
 * One of the poller's metrics for one account: the default account's without dimension (as
 * before accounts), any other's with its Account dimension (functions/adapters/logging/emf-metrics).
 */
export function accountMetric(
  metricName: string,
  account: Account,
  period: Duration,
  statistic = 'Sum',
): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName,
    statistic,
    period,
    ...(account.isDefault ? {} : { dimensionsMap: { [METRICS.accountDimension]: account.name } }),
  });
}
