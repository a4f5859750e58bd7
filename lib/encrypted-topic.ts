import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Effect,
  Grant,
  type IGrantable,
  PolicyStatement,
  ServicePrincipal,
  StarPrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface EncryptedTopicProps {
  /** Shown as the sender of emails and the prefix of SMS messages. */
  readonly displayName: string;
  readonly keyDescription: string;
}

/**
 * An SNS topic encrypted with its own customer managed key (rotated yearly) that refuses every
 * request made over plain HTTP. A customer managed key, not aws/sns, because CloudWatch alarms
 * can only publish to an encrypted topic whose key policy lets them.
 */
export class EncryptedTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  private cloudWatchAllowed = false;

  constructor(scope: Construct, id: string, props: EncryptedTopicProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: props.keyDescription,
      enableKeyRotation: true,
      // The key only protects messages in flight; nothing that outlives the stack needs it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topic = new Topic(this, 'Topic', {
      displayName: props.displayName,
      masterKey: this.key,
      // Not `enforceSSL`: the statement it adds denies only sns:Publish without TLS, and leaves
      // Subscribe, SetTopicAttributes and the rest open to plain HTTP.
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyWithoutTLS',
        effect: Effect.DENY,
        principals: [new StarPrincipal()],
        actions: ['sns:*'],
        resources: [this.topic.topicArn],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  }

  /** sns:Publish on this topic and the two key operations publishing needs, nothing wider. */
  grantPublish(grantee: IGrantable): void {
    Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    this.key.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  }

  /**
   * Lets this stack's CloudWatch alarms publish. The topic policy the stack writes replaces
   * SNS's default one, so the alarms need an explicit allow, and the key must let CloudWatch
   * encrypt. Alarm names start with the stack name (see Operations), which scopes the allow.
   */
  allowCloudWatchAlarms(): void {
    if (this.cloudWatchAllowed) return;
    this.cloudWatchAllowed = true;
    const stack = Stack.of(this);
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowStackAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${stack.stackName}-*`,
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseKey',
        principals: [cloudWatch],
        // The permissions the SNS documentation lists for AWS service publishers.
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy, "*" means this key.
        resources: ['*'],
        // Only on behalf of this account's alarms: another account's alarm pointed at this
        // topic cannot make CloudWatch use the key (confused deputy).
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }
}
