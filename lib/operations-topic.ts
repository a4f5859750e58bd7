import { Annotations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { DeploymentConfig } from './config/deployment-schema';
import type { AlertTopic } from './alert-topic';
import { EncryptedTopic } from './encrypted-topic';

export interface OperationsTopicProps {
  readonly config: DeploymentConfig['operations'];
  readonly alertTopic: AlertTopic;
}

/**
 * Where alarms about the poller itself go: its own topic (the default, so that "the alerter is
 * broken" reaches whoever runs it, not the people watching call quality), the alert topic, or
 * an existing topic.
 */
export class OperationsTopic extends Construct {
  readonly topic: ITopic;
  /** True when operations messages share the alert topic (the poller then needs no second grant). */
  readonly isAlertTopic: boolean;
  private readonly grantPublishTo: (grantee: IGrantable) => void;

  constructor(scope: Construct, id: string, props: OperationsTopicProps) {
    super(scope, id);
    const { config } = props;

    this.isAlertTopic = config.topic === 'alert-topic';
    switch (config.topic) {
      case 'alert-topic':
        props.alertTopic.allowCloudWatchAlarms();
        this.topic = props.alertTopic.topic;
        this.grantPublishTo = (grantee) => props.alertTopic.grantPublish(grantee);
        break;
      case 'existing':
        if (!config.existingTopicArn) throw new Error('operations.existingTopicArn is required'); // schema guarantees it
        this.topic = Topic.fromTopicArn(this, 'ExistingTopic', config.existingTopicArn);
        this.grantPublishTo = (grantee) =>
          Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
        Annotations.of(this).addWarningV2(
          'zentrunk:existing-topic-alarms',
          'Alarms and the poller publish to an existing topic: its topic policy and KMS key policy must allow cloudwatch.amazonaws.com and the poller role.',
        );
        break;
      case 'new': {
        const encrypted = new EncryptedTopic(this, 'Encrypted', {
          displayName: 'Zentrunk alerts ops',
          keyDescription: 'Encrypts the zentrunk-alerts operations topic',
        });
        encrypted.allowCloudWatchAlarms();
        for (const email of config.emails) encrypted.topic.addSubscription(new EmailSubscription(email));
        this.topic = encrypted.topic;
        this.grantPublishTo = (grantee) => encrypted.grantPublish(grantee);
        break;
      }
    }
  }

  /** The poller publishes its own health messages (credentials rejected, Plivo down, recovered) here. */
  grantPublish(grantee: IGrantable): void {
    this.grantPublishTo(grantee);
  }
}
