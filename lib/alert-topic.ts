import { createHash } from 'node:crypto';
import { Annotations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import {
  type ITopic,
  Subscription,
  SubscriptionFilter,
  SubscriptionProtocol,
  Topic,
} from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type {
  AlertSubscription,
  DeploymentConfig,
  SubscriptionFilterPolicy,
} from './config/deployment-schema';
import { EncryptedTopic } from './encrypted-topic';

export interface AlertTopicProps {
  readonly config: DeploymentConfig['alertTopic'];
}

const PROTOCOLS: Record<AlertSubscription['protocol'], SubscriptionProtocol> = {
  email: SubscriptionProtocol.EMAIL,
  sms: SubscriptionProtocol.SMS,
  https: SubscriptionProtocol.HTTPS,
  sqs: SubscriptionProtocol.SQS,
};

/**
 * Where the poller publishes alerts: a topic this stack creates (encrypted, TLS only, with the
 * subscriptions from config) or an existing topic that the stack only grants publish on.
 */
export class AlertTopic extends Construct {
  readonly topic: ITopic;
  /** Set when the stack owns the topic. */
  private readonly owned?: EncryptedTopic;
  /** The existing topic's customer managed key, when config names one. */
  private readonly existingKey?: IKey;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    const { config } = props;

    if (config.existingTopicArn) {
      this.topic = Topic.fromTopicArn(this, 'ExistingTopic', config.existingTopicArn);
      if (config.existingTopicKmsKeyArn) {
        this.existingKey = Key.fromKeyArn(this, 'ExistingTopicKey', config.existingTopicKmsKeyArn);
      }
      return;
    }

    this.owned = new EncryptedTopic(this, 'Encrypted', {
      displayName: 'Zentrunk alerts',
      keyDescription: 'Encrypts the Zentrunk alerts topic',
    });
    this.topic = this.owned.topic;
    for (const subscription of config.subscriptions) this.subscribe(subscription);
  }

  /** sns:Publish on this topic and, if it is encrypted with a known key, use of that key. */
  grantPublish(grantee: IGrantable): void {
    if (this.owned) {
      this.owned.grantPublish(grantee);
      return;
    }
    Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    this.existingKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  }

  /** Lets this stack's alarms publish here. An existing topic must already allow it. */
  allowCloudWatchAlarms(): void {
    if (this.owned) {
      this.owned.allowCloudWatchAlarms();
      return;
    }
    Annotations.of(this).addWarningV2(
      'zentrunk:existing-topic-alarms',
      'Alarms publish to an existing topic: its topic policy and KMS key policy must allow cloudwatch.amazonaws.com.',
    );
  }

  private subscribe(subscription: AlertSubscription): void {
    // Named after the endpoint, not the list position, so removing one subscription does not
    // replace the others (which would ask every email subscriber to confirm again).
    const digest = createHash('sha256')
      .update(`${subscription.protocol}:${subscription.endpoint}`)
      .digest('hex')
      .slice(0, 10);
    new Subscription(this, `Subscription-${subscription.protocol}-${digest}`, {
      topic: this.topic,
      protocol: PROTOCOLS[subscription.protocol],
      endpoint: subscription.endpoint,
      filterPolicy: subscription.filterPolicy ? toFilterPolicy(subscription.filterPolicy) : undefined,
      rawMessageDelivery:
        subscription.protocol === 'https' || subscription.protocol === 'sqs'
          ? subscription.rawMessageDelivery
          : undefined,
    });
  }
}

function toFilterPolicy(policy: SubscriptionFilterPolicy): Record<string, SubscriptionFilter> {
  const filters: Record<string, SubscriptionFilter> = {};
  for (const [attribute, values] of Object.entries(policy)) {
    if (values) filters[attribute] = SubscriptionFilter.stringFilter({ allowlist: values });
  }
  return filters;
}
