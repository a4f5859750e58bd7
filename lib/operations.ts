import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
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
}

type AlarmName =
  | 'poller-errors'
  | 'poller-throttles'
  | 'poller-duration-near-timeout'
  | 'no-successful-poll'
  | 'failed-runs-queued'
  | 'plivo-throttled'
  | 'alerts-dead-lettered';

/**
 * Watching the watcher: alarms on the poller's health (to the operations topic, on ALARM and on
 * OK) and a dashboard of what it does. Alarm names start with the stack name, which is what
 * the operations topic's policy allows.
 */
export class Operations extends Construct {
  readonly alarms: Record<AlarmName, Alarm>;
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
      name: AlarmName,
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
    const poller = (metricName: string, statistic = 'Sum') =>
      new Metric({ namespace: METRICS.namespace, metricName, statistic, period: interval });

    this.alarms = {
      'poller-errors': alarm('poller-errors', 'A poll run failed (the function threw). See its logs.', {
        metric: fn.metricErrors({ period: interval, statistic: 'Sum' }),
        threshold: 1,
      }),
      'poller-throttles': alarm(
        'poller-throttles',
        'A poll run was throttled: a run was still going when the next one was due (reserved concurrency 1).',
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
      // Missing data breaches: a poller that never runs emits nothing, and that is the failure.
      'no-successful-poll': alarm(
        'no-successful-poll',
        `No poll run has succeeded for ${noSuccessPeriods * intervalMinutes} minutes: calls are not being checked.`,
        {
          metric: poller(METRICS.pollSucceeded),
          threshold: 1,
          comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
          periods: noSuccessPeriods,
          missing: TreatMissingData.BREACHING,
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
      'plivo-throttled': alarm(
        'plivo-throttled',
        `Plivo has answered 429 Too Many Requests in every run for ${throttledPeriods * intervalMinutes} minutes: ` +
          'lower plivo.maxRequestsPer5s or find what else uses the account.',
        { metric: poller(METRICS.plivoThrottled), threshold: 1, periods: throttledPeriods },
      ),
      'alerts-dead-lettered': alarm(
        'alerts-dead-lettered',
        'SNS refused an alert for good, run after run, and the poller set it aside as a dead letter: nobody was ' +
          'paged for it. The operations message names it; `zentrunk-alerts status` lists dead letters.',
        { metric: poller(METRICS.alertsDeadLettered), threshold: 1 },
      ),
    };

    const action = new SnsAction(props.topic);
    for (const each of Object.values(this.alarms)) {
      each.addAlarmAction(action);
      each.addOkAction(action);
    }

    this.dashboard = this.buildDashboard(stackName, props, poller);
  }

  private buildDashboard(
    stackName: string,
    props: OperationsProps,
    poller: (metricName: string, statistic?: string) => Metric,
  ): Dashboard {
    const fn = props.pollerFunction;
    const interval = props.scheduleInterval;
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) =>
      new GraphWidget({ title, left, right, width, height: 6 });
    const alertsByRule = new MathExpression({
      expression: `SEARCH('{${METRICS.namespace},rule} MetricName="${METRICS.alertsByRule}"', 'Sum', ${interval.toSeconds()})`,
      label: '',
      period: interval,
      usingMetrics: {},
    });

    return new Dashboard(this, 'Dashboard', {
      dashboardName: stackName,
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new TextWidget({
            markdown: `# ${stackName}\nZentrunk call-quality alerter: one poll run every ${interval.toMinutes()} minutes.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new AlarmStatusWidget({
            title: 'Alarms',
            alarms: Object.values(this.alarms),
            width: 24,
            height: 3,
          }),
        ],
        [
          graph('Poll runs', [
            poller(METRICS.pollSucceeded).with({ label: 'succeeded' }),
            poller(METRICS.pollFailed).with({ label: 'failed' }),
          ]),
          graph(
            'Calls polled',
            [poller(METRICS.callsPolled).with({ label: 'calls' })],
            [poller(METRICS.recordsSkipped).with({ label: 'records skipped' })],
          ),
          graph(
            'Insights',
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
          graph('Alerts', [
            poller(METRICS.findings).with({ label: 'findings' }),
            poller(METRICS.alertsPublished).with({ label: 'published' }),
            poller(METRICS.duplicatesSuppressed).with({ label: 'duplicates suppressed' }),
            poller(METRICS.alertsSilenced).with({ label: 'silenced' }),
            poller(METRICS.incidentNotices).with({ label: 'incident notices' }),
            poller(METRICS.publishFailures).with({ label: 'publish failures' }),
            poller(METRICS.alertsDeadLettered).with({ label: 'dead letters' }),
          ]),
          graph('Alerts by rule', [alertsByRule]),
          graph('Plivo API', [
            poller(METRICS.plivoErrors).with({ label: 'errors' }),
            poller(METRICS.plivoThrottled).with({ label: '429 throttled' }),
          ]),
        ],
        [
          graph(
            'Poll lag (seconds behind now)',
            [poller(METRICS.pollLagSeconds, 'Maximum').with({ label: 'max lag' })],
            [poller(METRICS.slicesLeft, 'Maximum').with({ label: 'slices left for the next run' })],
          ),
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
          ),
          new GraphWidget({
            title: 'Function duration (ms)',
            left: [
              fn.metricDuration({ period: interval, statistic: 'Average' }).with({ label: 'average' }),
              fn.metricDuration({ period: interval, statistic: 'Maximum' }).with({ label: 'max' }),
            ],
            leftAnnotations: [{ value: props.timeout.toMilliseconds(), label: 'timeout' }],
            width: 8,
            height: 6,
          }),
        ],
      ],
    });
  }
}
