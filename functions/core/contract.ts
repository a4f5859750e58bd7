/**
 * The names the poller shares with everything around it, in one module that the poller, its
 * adapters, the CLI and the CDK stack all import: its environment contract and the CloudWatch
 * metric names it emits and the stack alarms on. Plain constants, no dependencies. AWS endpoints are not here on purpose: the SDK reads AWS_ENDPOINT_URL_DYNAMODB
 * and AWS_ENDPOINT_URL_SNS itself.
 */
export const ENV = {
  /** Default https://api.plivo.com. */
  plivoApiBaseUrl: 'PLIVO_API_BASE_URL',
  /** Local use: credentials straight from the environment. */
  plivoAuthId: 'PLIVO_AUTH_ID',
  plivoAuthToken: 'PLIVO_AUTH_TOKEN',
  /** Deployed: a Secrets Manager secret holding {"authId": "...", "authToken": "..."}. */
  plivoCredentialsSecretArn: 'PLIVO_CREDENTIALS_SECRET_ARN',
  /**
   * Deployed with `accounts`: {"<account>": "<secret ARN>"} for every account but "default"
   * (which uses PLIVO_CREDENTIALS_SECRET_ARN). Names and ARNs only, never a value.
   */
  plivoAccountSecretArns: 'PLIVO_ACCOUNT_SECRET_ARNS',
  stateTableName: 'STATE_TABLE_NAME',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  /** Where the poller's own health messages go (credentials rejected, Plivo down, recovered). Default: ALERT_TOPIC_ARN. */
  opsTopicArn: 'OPS_TOPIC_ARN',
  /** Path to the alert config JSON (validated at start-up); a relative one is under LAMBDA_TASK_ROOT. */
  alertConfigFile: 'ALERT_CONFIG_FILE',
  /** Seconds between scheduled runs: how much a run may fall behind before it samples. */
  scheduleSeconds: 'POLL_SCHEDULE_SECONDS',
} as const;

export const DEFAULT_PLIVO_API_BASE_URL = 'https://api.plivo.com';

/** CloudWatch metrics the poller emits (Embedded Metric Format) and the stack alarms on. */
export const METRICS = {
  namespace: 'ZentrunkAlerts',
  pollSucceeded: 'PollSucceeded',
  pollFailed: 'PollFailed',
  callsPolled: 'CallsPolled',
  insightsFetched: 'InsightsFetched',
  insightsNotReady: 'InsightsNotReady',
  findings: 'Findings',
  alertsPublished: 'AlertsPublished',
  duplicatesSuppressed: 'DuplicatesSuppressed',
  /** Findings recorded but not sent because a silence or quiet period covered them. */
  alertsSilenced: 'AlertsSilenced',
  /** Notices about incidents: alert groups, windowed rules and traffic rules (firing, updates, reminders, resolutions). */
  incidentNotices: 'IncidentNotices',
  recordsSkipped: 'RecordsSkipped',
  /**
   * Runs started for an account the config does not watch, or with an event the poller cannot
   * read (no dimension: the deployment's; its own alarm).
   */
  invocationsRejected: 'InvocationsRejected',
  /** Stored state items a run could not read and skipped (each expires with its TTL). */
  stateItemsUnreadable: 'StateItemsUnreadable',
  /** Notices the channel refused in a run (each failed the run). */
  publishFailures: 'PublishFailures',
  /** Notices set aside after the channel refused them run after run. */
  alertsDeadLettered: 'AlertsDeadLettered',
  /** Insights requests Plivo refused for that call (judged on its CDR). */
  insightsRefused: 'InsightsRefused',
  plivoErrors: 'PlivoErrors',
  plivoThrottled: 'PlivoThrottled',
  /** Seconds between now and the watermark after the run. */
  pollLagSeconds: 'PollLagSeconds',
  /** Percent of the calls that needed Insights that got a request (below 100 only under overload). */
  insightsCoverage: 'InsightsCoverage',
  /** Calls judged on their CDR alone because the budget could not fetch their Insights. */
  insightsSampledOut: 'InsightsSampledOut',
  /** Calls without media, for which no Insights request was needed. */
  insightsSkippedNoMedia: 'InsightsSkippedNoMedia',
  /** Slices of the read range left for the next run (a backlog being worked off). */
  slicesLeft: 'SlicesLeft',
  /**
   * The account's calls in its last settled traffic-drop window, and what the traffic baseline
   * expects there (each run; none before anything is learnt). No per-trunk dimension: a metric
   * per trunk would be one per trunk.
   */
  trafficCalls: 'TrafficCalls',
  trafficExpectedCalls: 'TrafficExpectedCalls',
  /** The same window's outbound spend (USD, Plivo's total_amount), and the expected. */
  trafficSpend: 'TrafficSpend',
  trafficExpectedSpend: 'TrafficExpectedSpend',
  /** Per rule, dimension `rule`. */
  alertsByRule: 'AlertsByRule',
  /**
   * The dimension naming the Plivo account of every metric above, for every account but the
   * default one (whose metrics have no dimension, as before accounts).
   */
  accountDimension: 'Account',
} as const;
