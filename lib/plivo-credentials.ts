import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeploymentConfig } from './config/deployment-schema';

export interface PlivoCredentialsProps {
  readonly config: DeploymentConfig['plivoCredentials'];
  /** The Plivo account the secret is for, named in a new secret's description (not the default's). */
  readonly account?: string;
}

/** The secret's JSON keys; the poller's secrets adapter reads exactly these. */
const PLIVO_SECRET_KEYS = { authId: 'authId', authToken: 'authToken' } as const;

/**
 * The Secrets Manager secret holding {"authId": "...", "authToken": "..."}: an existing one
 * from config, or a placeholder the operator fills with `aws secretsmanager put-secret-value`.
 */
export class PlivoCredentials extends Construct {
  readonly secret: ISecret;
  /** The existing secret's customer managed key, when config names one. */
  private readonly existingKeyArn?: string;

  constructor(scope: Construct, id: string, props: PlivoCredentialsProps) {
    super(scope, id);
    const { config } = props;
    this.existingKeyArn = config.existingSecretKmsKeyArn;

    if (config.existingSecretArn) {
      this.secret = Secret.fromSecretAttributes(this, 'ExistingSecret', {
        secretCompleteArn: config.existingSecretArn,
      });
      return;
    }
    if (config.existingSecretName) {
      // A partial ARN: grants then cover the name plus the random suffix AWS appends.
      const secretPartialArn = Stack.of(this).formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: config.existingSecretName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      this.secret = Secret.fromSecretAttributes(this, 'ExistingSecret', { secretPartialArn });
      return;
    }

    const secret = new Secret(this, 'Secret', {
      secretName: config.newSecretName,
      description:
        `Plivo credentials for zentrunk-alerts${props.account ? ` (account ${props.account})` : ''}: ` +
        '{"authId": "...", "authToken": "..."}. Replace the placeholder with aws secretsmanager put-secret-value.',
      // Only a placeholder: the poller fails (and alarms) until the real Auth ID is set.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ [PLIVO_SECRET_KEYS.authId]: 'REPLACE_ME' }),
        generateStringKey: PLIVO_SECRET_KEYS.authToken,
        excludePunctuation: true,
      },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Plivo auth tokens are issued and rotated in the Plivo console; there is no API a rotation ' +
        'Lambda could call, so the operator rotates the token there and writes it with put-secret-value.',
    });
    this.secret = secret;
  }

  /** GetSecretValue/DescribeSecret on this secret (and decrypt with its key), nothing else. */
  grantRead(grantee: IGrantable): void {
    this.secret.grantRead(grantee);
    if (this.existingKeyArn) {
      // Explicit rather than through the imported secret: CDK cannot tell whether a key of
      // another (or an unknown) account trusts IAM, and may then grant nothing at all.
      Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt'],
        resourceArns: [this.existingKeyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      });
    }
  }
}
