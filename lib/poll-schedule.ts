import type { Duration } from 'aws-cdk-lib';
import {
  type IRule,
  Rule,
  RuleTargetInput,
  type RuleTargetInputProperties,
  Schedule,
} from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PollScheduleProps {
  readonly interval: Duration;
  readonly target: IFunction;
  /** Where ticks go that EventBridge could not hand to Lambda. */
  readonly deadLetterQueue: IQueue;
  /**
   * The Plivo accounts the config lists, each polled by its own rule; undefined (no `accounts`
   * in the config): the default account's one rule, as before accounts.
   */
  readonly accounts?: ReadonlyArray<{ name: string; isDefault: boolean }>;
}

/**
 * What a rule hands the poller: `{"plivoAccount": "<name>", "schedule": <the scheduled event>}`.
 * The account is named explicitly, the default account's included, under a field EventBridge
 * does not use: the event's own `account` is the AWS account id, and once reached the poller as
 * a Plivo account name (every run of a deployment without `accounts` failed). The scheduled
 * event rides along untouched (EventBridge's predefined `<aws.events.event.json>`), so the
 * poller checks it against EventBridge's schema and reads when the tick fired.
 * (functions/poller/invocation.ts reads it.)
 */
export class ScheduleInput extends RuleTargetInput {
  constructor(readonly plivoAccount: string) {
    super();
  }

  override bind(_rule: IRule): RuleTargetInputProperties {
    return {
      inputTemplate: `{"plivoAccount":${JSON.stringify(this.plivoAccount)},"schedule":<aws.events.event.json>}`,
    };
  }
}

/**
 * Starts a poll run every `interval` (EventBridge rule, asynchronous invocation): one rule per
 * Plivo account, all on the one function. Lambda runs the accounts side by side (the function
 * reserves one concurrent execution per account); each account's lease keeps its own runs apart.
 * Rules rather than targets of one rule: a rule takes at most 5 targets.
 */
export class PollSchedule extends Construct {
  /** By account name ("default" without `accounts`). */
  readonly rules: ReadonlyMap<string, Rule>;

  constructor(scope: Construct, id: string, props: PollScheduleProps) {
    super(scope, id);
    const rules = new Map<string, Rule>();
    for (const account of props.accounts ?? [{ name: 'default', isDefault: true }]) {
      // The default account keeps the rule it had before accounts.
      const rule = new Rule(this, account.isDefault ? 'Rule' : `Rule-${account.name}`, {
        description:
          props.accounts === undefined
            ? 'Starts a zentrunk-alerts poll run'
            : `Starts a zentrunk-alerts poll run for Plivo account ${account.name}`,
        schedule: Schedule.rate(props.interval),
      });
      rule.addTarget(
        new LambdaFunction(props.target, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: 2,
          // A tick older than one interval is superseded by the next one.
          maxEventAge: props.interval,
          event: new ScheduleInput(account.name),
        }),
      );
      rules.set(account.name, rule);
    }
    this.rules = rules;
  }
}
