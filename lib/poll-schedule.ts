import type { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PollScheduleProps {
  readonly interval: Duration;
  readonly target: IFunction;
  /** Where ticks go that EventBridge could not hand to Lambda. */
  readonly deadLetterQueue: IQueue;
}

/** Starts a poll run every `interval` (EventBridge rule, asynchronous invocation). */
export class PollSchedule extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: PollScheduleProps) {
    super(scope, id);
    this.rule = new Rule(this, 'Rule', {
      description: 'Starts a zentrunk-alerts poll run',
      schedule: Schedule.rate(props.interval),
    });
    this.rule.addTarget(
      new LambdaFunction(props.target, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 2,
        // A tick older than one interval is superseded by the next one.
        maxEventAge: props.interval,
      }),
    );
  }
}
