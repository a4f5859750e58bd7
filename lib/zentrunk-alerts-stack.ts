import { CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type ProjectConfig, runtimeConfigOf } from './config/project-config';
import { accountsOf, DEFAULT_ACCOUNT } from '../functions/core/accounts';
import { ENV } from '../functions/core/contract';
import { AlertTopic } from './alert-topic';
import { Operations } from './operations';
import { OperationsTopic } from './operations-topic';
import { PlivoCredentials } from './plivo-credentials';
import { PollSchedule } from './poll-schedule';
import { PollerFunction } from './poller-function';
import { StateTable } from './state-table';

export interface ZentrunkAlertsStackProps extends StackProps {
  readonly stage: string;
  /** The validated `config/<stage>.json`. */
  readonly config: ProjectConfig;
  /** The poller handler's source file. */
  readonly pollerEntry: string;
  readonly projectRoot: string;
  readonly depsLockFilePath: string;
}

/** The whole alerter: state, alert topic and credentials, the scheduled poller, and its alarms. */
export class ZentrunkAlertsStack extends Stack {
  readonly stateTable: StateTable;
  readonly alertTopic: AlertTopic;
  /** Each watched Plivo account's credentials secret, by account name ("default" for the default). */
  readonly plivoCredentials: ReadonlyMap<string, PlivoCredentials>;
  readonly poller: PollerFunction;
  readonly schedule: PollSchedule;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: ZentrunkAlertsStackProps) {
    super(scope, id, {
      description: `zentrunk-alerts (${props.stage}): Plivo Zentrunk call-quality alerts`,
      ...props,
    });
    const { deployment } = props.config;
    const runtimeConfig = runtimeConfigOf(props.config);
    const accounts = accountsOf(runtimeConfig);
    const scheduleInterval = Duration.minutes(deployment.scheduleMinutes);
    const timeout = Duration.seconds(deployment.function.timeoutSeconds);

    // Stateful: kept across deployments, never replaced by a code change.
    this.stateTable = new StateTable(this, 'StateTable', {
      deletionProtection: deployment.stateTable.deletionProtection,
    });
    this.alertTopic = new AlertTopic(this, 'AlertTopic', { config: deployment.alertTopic });
    // The default account keeps the construct (and so the secret) it had before accounts.
    this.plivoCredentials = new Map(
      accounts.map((account) => [
        account.name,
        account.isDefault
          ? new PlivoCredentials(this, 'PlivoCredentials', { config: deployment.plivoCredentials })
          : new PlivoCredentials(this, `PlivoCredentials-${account.name}`, {
              config: deployment.accounts[account.name] ?? {},
              account: account.name,
            }),
      ]),
    );

    const operationsTopic = new OperationsTopic(this, 'OperationsTopic', {
      config: deployment.operations,
      alertTopic: this.alertTopic,
    });

    // Stateless: the function, what starts it and what watches it.
    this.poller = new PollerFunction(this, 'Poller', {
      entry: props.pollerEntry,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      runtimeConfig,
      memoryMb: deployment.function.memoryMb,
      timeout,
      logRetentionDays: deployment.function.logRetentionDays,
      logLevel: deployment.function.logLevel,
      plivoApiBaseUrl: deployment.plivoApiBaseUrl,
      scheduleInterval,
      stateTable: this.stateTable,
      alertTopic: this.alertTopic,
      operationsTopic: operationsTopic.isAlertTopic ? undefined : operationsTopic,
      plivoCredentials: this.plivoCredentials,
    });
    this.schedule = new PollSchedule(this, 'PollSchedule', {
      interval: scheduleInterval,
      target: this.poller.function,
      deadLetterQueue: this.poller.failedRuns,
      accounts: runtimeConfig.accounts === undefined ? undefined : accounts,
    });
    this.operations = new Operations(this, 'Operations', {
      config: deployment.operations,
      topic: operationsTopic.topic,
      pollerFunction: this.poller.function,
      timeout,
      failedRuns: this.poller.failedRuns,
      scheduleInterval,
      accounts,
    });

    Tags.of(this).add('project', 'zentrunk-alerts');
    Tags.of(this).add('stage', props.stage);
    for (const [key, value] of Object.entries(deployment.tags)) Tags.of(this).add(key, value);

    const defaultCredentials = this.plivoCredentials.get(DEFAULT_ACCOUNT);
    if (defaultCredentials) {
      new CfnOutput(this, 'PlivoCredentialsSecretArn', {
        description: `Set {"authId","authToken"} here with aws secretsmanager put-secret-value (${ENV.plivoCredentialsSecretArn})`,
        value: defaultCredentials.secret.secretArn,
      });
    }
    const others = [...this.plivoCredentials].filter(([name]) => name !== DEFAULT_ACCOUNT);
    if (others.length > 0) {
      new CfnOutput(this, 'PlivoAccountSecretArns', {
        description:
          'The credentials secret of each Plivo account but the default, {"<account>": "<secret ARN>"}: ' +
          'set {"authId","authToken"} in each with aws secretsmanager put-secret-value',
        value: this.toJsonString(
          Object.fromEntries(others.map(([name, each]) => [name, each.secret.secretArn])),
        ),
      });
    }
    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topic.topicArn });
    new CfnOutput(this, 'OperationsTopicArn', { value: operationsTopic.topic.topicArn });
    new CfnOutput(this, 'StateTableName', { value: this.stateTable.table.tableName });
    new CfnOutput(this, 'PollerFunctionName', { value: this.poller.function.functionName });
    new CfnOutput(this, 'PollerLogGroupName', { value: this.poller.logGroup.logGroupName });
    new CfnOutput(this, 'FailedRunsQueueUrl', { value: this.poller.failedRuns.queueUrl });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.operations.dashboard.dashboardName}`,
    });
  }
}
