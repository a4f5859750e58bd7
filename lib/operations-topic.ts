import { Annotations } from 'aws-cdk-lib';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../functions/core/config/deployment-schema';
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

  constructor(scope: Construct, id: string, props: OperationsTopicProps) {
    super(scope, id);
    const { config } = props;

    switch (config.topic) {
      case 'alert-topic':
        props.alertTopic.allowCloudWatchAlarms();
        this.topic = props.alertTopic.topic;
        break;
      case 'existing':
        if (!config.existingTopicArn) throw new Error('operations.existingTopicArn is required'); // schema guarantees it
        this.topic = Topic.fromTopicArn(this, 'ExistingTopic', config.existingTopicArn);
        Annotations.of(this).addWarningV2(
          'zentrunk:existing-topic-alarms',
          'Alarms publish to an existing topic: its topic policy and KMS key policy must allow cloudwatch.amazonaws.com.',
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
        break;
      }
    }
  }
}
