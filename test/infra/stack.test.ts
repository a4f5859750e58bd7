import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Match } from 'aws-cdk-lib/assertions';
import { STATE_TABLE_KEYS } from '../../functions/adapters/dynamodb/table-definition';
import { parseConfig } from '../../functions/core/config/load-config';
import {
  type ProjectConfigInput,
  parseProjectConfig,
  runtimeConfigOf,
} from '../../lib/config/project-config';
import { ENV, METRICS } from '../../functions/core/contract';
import { ALERT_CONFIG_FILE_NAME, ALERT_CONFIG_PATH, requireLocalEsbuild } from '../../lib/poller-function';
import { REPO_ROOT } from '../../lib/project-paths';
import { nagFindings, pollerAssetDir, REAL_POLLER_ENTRY, type Synthesized, synth } from './synth';
import { arnOf, functionPermissions, logicalIdOf, ref, resourcesOf } from './template-queries';
import { tempDir } from '../support/temp-dir';

const STATE_STORE_SOURCE = join(REPO_ROOT, 'functions', 'adapters', 'dynamodb', 'dynamodb-state-store.ts');

/** A config that exercises every option of the default layout (new topics, new secret). */
const CONFIG: ProjectConfigInput = {
  $schema: './config.schema.json',
  rules: { 'packet-loss': { thresholdPct: 1.5, criticalPct: 4 }, 'high-jitter': { thresholdMs: 45 } },
  deployment: {
    scheduleMinutes: 5,
    function: { memoryMb: 1024, timeoutSeconds: 200, logRetentionDays: 60 },
    plivoApiBaseUrl: 'https://api.eu.plivo.example',
    tags: { owner: 'platform' },
    alertTopic: {
      subscriptions: [
        { protocol: 'email', endpoint: 'oncall@example.com', filterPolicy: { severity: ['critical'] } },
        {
          protocol: 'sms',
          endpoint: '+14155550123',
          filterPolicy: { severity: ['critical'], rule: ['zentrunk-hangup'] },
        },
        {
          protocol: 'https',
          endpoint: 'https://hooks.example.com/zentrunk',
          rawMessageDelivery: true,
          filterPolicy: { trunk_domain: ['acme.zt.plivo.com'], state: ['firing'] },
        },
        { protocol: 'sqs', endpoint: 'arn:aws:sqs:us-east-1:123456789012:zentrunk-alerts' },
      ],
    },
    operations: { topic: 'new', emails: ['platform@example.com'], noSuccessfulPollMinutes: 20 },
  },
};

let synthesized: Synthesized;
let template: Synthesized['template'];
const ids = {} as Record<
  'table' | 'alertTopic' | 'alertKey' | 'opsTopic' | 'opsKey' | 'secret' | 'logs' | 'queue' | 'fn',
  string
>;

beforeAll(() => {
  if (!existsSync(REAL_POLLER_ENTRY)) throw new Error(`the poller handler is missing: ${REAL_POLLER_ENTRY}`);
  synthesized = synth({ config: CONFIG, pollerEntry: REAL_POLLER_ENTRY });
  template = synthesized.template;
  ids.table = logicalIdOf(template, 'AWS::DynamoDB::Table');
  ids.alertTopic = logicalIdOf(template, 'AWS::SNS::Topic', { DisplayName: 'Zentrunk alerts' });
  ids.opsTopic = logicalIdOf(template, 'AWS::SNS::Topic', { DisplayName: 'Zentrunk alerts ops' });
  ids.alertKey = logicalIdOf(template, 'AWS::KMS::Key', {
    Description: 'Encrypts the Zentrunk alerts topic',
  });
  ids.opsKey = logicalIdOf(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('operations') });
  ids.secret = logicalIdOf(template, 'AWS::SecretsManager::Secret');
  ids.logs = logicalIdOf(template, 'AWS::Logs::LogGroup');
  ids.queue = logicalIdOf(template, 'AWS::SQS::Queue');
  ids.fn = logicalIdOf(template, 'AWS::Lambda::Function');
});

describe('poller function', () => {
  it('runs Node.js 24 on arm64 with the configured memory and timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 200,
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 1,
      LoggingConfig: { LogGroup: ref(ids.logs) },
    });
  });

  it('logs JSON lines, filtered by Lambda at the default level (INFO) the poller reads too', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' },
    });
  });

  it('gets exactly the environment of the contract', () => {
    const fn = resourcesOf(template, 'AWS::Lambda::Function')[ids.fn];
    expect(fn?.Properties?.Environment).toEqual({
      Variables: {
        [ENV.stateTableName]: ref(ids.table),
        [ENV.alertTopicArn]: ref(ids.alertTopic),
        [ENV.plivoCredentialsSecretArn]: ref(ids.secret),
        [ENV.alertConfigFile]: ALERT_CONFIG_PATH,
        [ENV.plivoApiBaseUrl]: 'https://api.eu.plivo.example',
        [ENV.opsTopicArn]: ref(ids.opsTopic),
        [ENV.scheduleSeconds]: '300',
        NODE_OPTIONS: '--max-old-space-size=256 --max-semi-space-size=4',
      },
    });
  });

  it('logs to its own log group with the configured retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 60 });
  });

  it('sends failed runs, without retrying, to an encrypted TLS-only queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(ids.fn),
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
      DestinationConfig: { OnFailure: { Destination: arnOf(ids.queue) } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(ids.queue)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('has a role with no managed policy', () => {
    const { roleId } = functionPermissions(template);
    const role = resourcesOf(template, 'AWS::IAM::Role')[roleId];
    expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
    expect(role?.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
  });

  it('may do exactly what it needs, each on its own resource, and nothing on "*"', () => {
    const { permissions } = functionPermissions(template);
    expect(permissions.every((p) => p.effect === 'Allow')).toBe(true);
    expect(permissions.filter((p) => JSON.stringify(p.resource).includes('*'))).toEqual([]);
    expect(permissions.filter((p) => p.action.includes('*'))).toEqual([]);

    const resourcesFor = (prefix: string) =>
      [
        ...new Set(
          permissions.filter((p) => p.action.startsWith(prefix)).map((p) => JSON.stringify(p.resource)),
        ),
      ].map((json) => JSON.parse(json));
    const actionsFor = (prefix: string) =>
      new Set(permissions.filter((p) => p.action.startsWith(prefix)).map((p) => p.action));

    // The table only (no index is queried), and only the item operations the store calls: no
    // Scan, DescribeTable, ConditionCheckItem or stream reads.
    expect(resourcesFor('dynamodb:')).toEqual([arnOf(ids.table)]);
    expect(actionsFor('dynamodb:')).toEqual(
      new Set([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:BatchWriteItem',
      ]),
    );
    // Alerts, and the poller's own health messages on the operations topic.
    expect(resourcesFor('sns:')).toEqual([ref(ids.alertTopic), ref(ids.opsTopic)]);
    expect(actionsFor('sns:')).toEqual(new Set(['sns:Publish']));
    expect(resourcesFor('kms:')).toEqual([arnOf(ids.alertKey), arnOf(ids.opsKey)]);
    expect(actionsFor('kms:')).toEqual(new Set(['kms:Decrypt', 'kms:GenerateDataKey']));
    expect(resourcesFor('secretsmanager:')).toEqual([ref(ids.secret)]);
    expect(actionsFor('secretsmanager:')).toEqual(
      new Set(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']),
    );
    expect(resourcesFor('logs:')).toEqual([arnOf(ids.logs)]);
    expect(actionsFor('logs:')).toEqual(new Set(['logs:CreateLogStream', 'logs:PutLogEvents']));
    expect(resourcesFor('sqs:')).toEqual([arnOf(ids.queue)]);

    const services = new Set(permissions.map((p) => p.action.split(':')[0]));
    expect(services).toEqual(new Set(['dynamodb', 'sns', 'kms', 'secretsmanager', 'logs', 'sqs']));
  });

  it('may call every DynamoDB command the state store sends, and no other', () => {
    // The document-client commands the store adapter uses, and the IAM action each one needs.
    const ACTION_OF: Record<string, string> = {
      GetCommand: 'dynamodb:GetItem',
      PutCommand: 'dynamodb:PutItem',
      UpdateCommand: 'dynamodb:UpdateItem',
      DeleteCommand: 'dynamodb:DeleteItem',
      QueryCommand: 'dynamodb:Query',
      ScanCommand: 'dynamodb:Scan',
      BatchGetCommand: 'dynamodb:BatchGetItem',
      BatchWriteCommand: 'dynamodb:BatchWriteItem',
      TransactGetCommand: 'dynamodb:TransactGetItems',
      TransactWriteCommand: 'dynamodb:TransactWriteItems',
    };
    const source = readFileSync(STATE_STORE_SOURCE, 'utf8');
    const commands = [...new Set([...source.matchAll(/new (\w+Command)\(/g)].map((match) => match[1] ?? ''))];
    expect(commands.length).toBeGreaterThan(0);
    const unknown = commands.filter((command) => !ACTION_OF[command]);
    expect(unknown).toEqual([]);
    // The store queries the table itself, never an index.
    expect(source).not.toMatch(/IndexName/);

    const granted = new Set(
      functionPermissions(template)
        .permissions.filter((p) => p.action.startsWith('dynamodb:'))
        .map((p) => p.action),
    );
    expect(granted).toEqual(new Set(commands.map((command) => ACTION_OF[command])));
  });
});

describe('bundle', () => {
  let assetDir: string;
  beforeAll(() => {
    assetDir = pollerAssetDir(synthesized);
  });

  it('is ESM with a source map, built from the real handler', () => {
    expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
  });

  it('carries exactly the validated runtime config, thresholds included', () => {
    const bundled = JSON.parse(readFileSync(join(assetDir, ALERT_CONFIG_FILE_NAME), 'utf8'));
    expect(bundled).toEqual(runtimeConfigOf(parseProjectConfig(CONFIG)));
    expect(bundled.rules['packet-loss']).toMatchObject({ thresholdPct: 1.5, criticalPct: 4 });
    expect(bundled.rules['high-jitter'].thresholdMs).toBe(45);
    expect(bundled).not.toHaveProperty('deployment');
    expect(parseConfig(bundled)).toEqual(bundled);
  });

  it("carries Lambda's credential sources instead of the SDK's whole default chain", () => {
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    // A message of functions/adapters/aws/lambda-credentials.ts, and one of the default chain.
    expect(code).toContain('the bundled poller reads only what Lambda provides');
    expect(code).not.toContain('skipping fromEnv provider');
    expect(code).not.toMatch(/sso_start_url|credential_process/);
  });

  it("signs its AWS requests with Lambda's environment credentials, and says so when there are none", async () => {
    // A DynamoDB stand-in that records who signed each request and refuses it, so the run ends
    // at its first state access: enough to see the bundle's credential chain at work.
    const signedBy: string[] = [];
    const dynamodb = createServer((req, res) => {
      signedBy.push(/Credential=([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? 'unsigned');
      req.resume();
      req.on('end', () => {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
            message: 'no table',
          }),
        );
      });
    });
    await new Promise<void>((done) => dynamodb.listen(0, '127.0.0.1', done));
    const endpoint = `http://127.0.0.1:${(dynamodb.address() as AddressInfo).port}`;
    const invoke = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)});
      const context = { awsRequestId: 'r-1', functionName: 'f', getRemainingTimeInMillis: () => 60000 };
      try { await handler({}, context); console.log('RESULT ok'); }
      catch (error) { console.log('RESULT ' + error.message); }`;
    const run = (credentials: Record<string, string>) =>
      promisify(execFile)(process.execPath, ['--input-type=module', '-e', invoke], {
        env: {
          PATH: process.env.PATH,
          // The run's temporary directory, which the suite checks for leftovers (global-setup.cjs).
          TMPDIR: tmpdir(),
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_DYNAMODB: endpoint,
          AWS_MAX_ATTEMPTS: '1',
          STATE_TABLE_NAME: 'zentrunk-state',
          ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
          AWS_ENDPOINT_URL_SNS: endpoint,
          PLIVO_AUTH_ID: 'MABUNDLETEST',
          PLIVO_AUTH_TOKEN: 'bundle-test-token',
          PLIVO_API_BASE_URL: endpoint,
          ...credentials,
        },
        encoding: 'utf8',
      });
    try {
      const signed = await run({
        AWS_ACCESS_KEY_ID: 'ASIABUNDLETEST',
        AWS_SECRET_ACCESS_KEY: 'bundle-secret',
        AWS_SESSION_TOKEN: 'bundle-session',
      });
      expect(signedBy.length).toBeGreaterThan(0);
      expect(new Set(signedBy)).toEqual(new Set(['ASIABUNDLETEST']));
      expect(signed.stdout).toMatch(/RESULT (?!ok)/);

      signedBy.length = 0;
      const unsigned = await run({ AWS_PROFILE: 'developer' });
      expect(signedBy).toEqual([]);
      expect(unsigned.stdout).toMatch(/RESULT (?!ok)/);
      expect(`${unsigned.stdout}${unsigned.stderr}`).toContain(
        'the bundled poller reads only what Lambda provides',
      );
    } finally {
      await new Promise<void>((done) => dynamodb.close(() => done()));
    }
  });

  it('is never built in Docker: without a local esbuild the app stops and says what to do', () => {
    expect(() => requireLocalEsbuild(REPO_ROOT)).not.toThrow();
    const bare = tempDir('no-esbuild-');
    expect(() => requireLocalEsbuild(bare)).toThrow(/esbuild is not installed under .*run `npm ci`/);
  });

  it('loads in Node.js as an ES module and exports the handler', () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)}); console.log(typeof m.handler);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, TMPDIR: tmpdir(), AWS_REGION: 'us-east-1' },
      encoding: 'utf8',
    });
    expect(output.trim()).toBe('function');
  });
});

describe('schedule', () => {
  it('starts the poller at the configured rate, with undeliverable ticks kept', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: arnOf(ids.fn),
          DeadLetterConfig: { Arn: arnOf(ids.queue) },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: arnOf(ids.fn),
    });
  });
});

describe('state table', () => {
  it('is built from STATE_TABLE_KEYS, on demand, with TTL, PITR and encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: STATE_TABLE_KEYS.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: STATE_TABLE_KEYS.sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        {
          AttributeName: STATE_TABLE_KEYS.partitionKey.name,
          AttributeType: STATE_TABLE_KEYS.partitionKey.type,
        },
        { AttributeName: STATE_TABLE_KEYS.sortKey.name, AttributeType: STATE_TABLE_KEYS.sortKey.type },
      ],
      TimeToLiveSpecification: { AttributeName: STATE_TABLE_KEYS.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('outlives the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('has deletion protection on unless the config turns it off', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
  });
});

/** The statements of a topic's policy that deny requests made without TLS. */
function tlsDenials(topicId: string): unknown[] {
  const policies = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy')).filter(
    (policy) => JSON.stringify(policy.Properties?.Topics) === JSON.stringify([ref(topicId)]),
  );
  expect(policies).toHaveLength(1);
  const document = policies[0]?.Properties?.PolicyDocument as { Statement: { Condition?: unknown }[] };
  return document.Statement.filter((statement) =>
    JSON.stringify(statement.Condition ?? {}).includes('SecureTransport'),
  );
}

describe('alert topic', () => {
  it('is encrypted with its own rotating customer managed key', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Zentrunk alerts',
      KmsMasterKeyId: arnOf(ids.alertKey),
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the Zentrunk alerts topic',
      EnableKeyRotation: true,
    });
  });

  it('refuses every SNS action without TLS, not only publishing', () => {
    expect(tlsDenials(ids.alertTopic)).toEqual([
      {
        Sid: 'DenyWithoutTLS',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:*',
        Resource: ref(ids.alertTopic),
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  it('has the configured subscriptions with their filter policies', () => {
    const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription'))
      .map((s) => s.Properties ?? {})
      .filter((p) => JSON.stringify(p.TopicArn) === JSON.stringify(ref(ids.alertTopic)));
    expect(subscriptions).toHaveLength(4);
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Protocol: 'email',
          Endpoint: 'oncall@example.com',
          FilterPolicy: { severity: ['critical'] },
        }),
        expect.objectContaining({
          Protocol: 'sms',
          Endpoint: '+14155550123',
          FilterPolicy: { severity: ['critical'], rule: ['zentrunk-hangup'] },
        }),
        expect.objectContaining({
          Protocol: 'https',
          Endpoint: 'https://hooks.example.com/zentrunk',
          RawMessageDelivery: true,
          FilterPolicy: { trunk_domain: ['acme.zt.plivo.com'], state: ['firing'] },
        }),
        expect.objectContaining({
          Protocol: 'sqs',
          Endpoint: 'arn:aws:sqs:us-east-1:123456789012:zentrunk-alerts',
        }),
      ]),
    );
    const email = subscriptions.find((s) => s.Protocol === 'email');
    expect(email).not.toHaveProperty('RawMessageDelivery');
  });
});

describe('Plivo credentials', () => {
  it('is a placeholder secret with the keys the poller reads', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ authId: 'REPLACE_ME' }),
        GenerateStringKey: 'authToken',
      },
    });
  });
});

describe('operations', () => {
  const alarmProps = (name: string) => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties?.AlarmName === `zentrunk-alerts-test-${name}`,
    );
    expect(alarms).toHaveLength(1);
    return alarms[0]?.Properties ?? {};
  };

  it('has an encrypted operations topic with the configured email, which the alarms may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(ids.opsKey) });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: ref(ids.opsTopic),
      Protocol: 'email',
      Endpoint: 'platform@example.com',
    });
    expect(tlsDenials(ids.opsTopic)).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:*',
        Resource: ref(ids.opsTopic),
      }),
    ]);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(ids.opsTopic)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: ref(ids.opsTopic),
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('operations'),
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            // Only on behalf of alarms in this account (confused deputy).
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('has eight alarms, each notifying the operations topic on ALARM and OK', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) {
      expect(alarm.Properties?.AlarmActions).toEqual([ref(ids.opsTopic)]);
      expect(alarm.Properties?.OKActions).toEqual([ref(ids.opsTopic)]);
    }
  });

  it('alarms on function errors and throttles', () => {
    for (const [name, metric] of [
      ['poller-errors', 'Errors'],
      ['poller-throttles', 'Throttles'],
    ]) {
      expect(alarmProps(name as string)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: ref(ids.fn) }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('alarms when a run gets close to the timeout', () => {
    expect(alarmProps('poller-duration-near-timeout')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Statistic: 'Maximum',
      Threshold: 200_000 * 0.8,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when no poll has succeeded for the configured time, missing data included', () => {
    expect(alarmProps('no-successful-poll')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.pollSucceeded,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 4,
      DatapointsToAlarm: 4,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('alarms when the failed-runs queue holds messages', () => {
    expect(alarmProps('failed-runs-queued')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when Plivo keeps throttling', () => {
    expect(alarmProps('plivo-throttled')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.plivoThrottled,
      Statistic: 'Sum',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms as soon as an alert is set aside as a dead letter (nobody was paged for it)', () => {
    expect(alarmProps('alerts-dead-lettered')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.alertsDeadLettered,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms at the first run started for an account it does not watch, or with an event it cannot read', () => {
    expect(alarmProps('invocations-rejected')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.invocationsRejected,
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarmProps('invocations-rejected')).not.toHaveProperty('Dimensions');
  });

  it('has a dashboard of what the poller does', () => {
    const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties?.DashboardName).toBe('zentrunk-alerts-test');
    const body = JSON.stringify(dashboards[0]?.Properties?.DashboardBody);
    for (const metric of [
      METRICS.callsPolled,
      METRICS.insightsFetched,
      METRICS.insightsNotReady,
      METRICS.alertsPublished,
      METRICS.duplicatesSuppressed,
      METRICS.alertsSilenced,
      METRICS.incidentNotices,
      METRICS.plivoErrors,
      METRICS.plivoThrottled,
      METRICS.pollLagSeconds,
      'Errors',
      'Duration',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain(
      `SEARCH('{${METRICS.namespace},rule} MetricName=\\\\\\"${METRICS.alertsByRule}\\\\\\"'`,
    );
  });

  it("graphs the account's calls and spend against the traffic baseline, without a per-trunk dimension", () => {
    const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    // The body as CloudWatch reads it, without the layers of JSON escaping.
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody).replace(/\\/g, '');
    // A graph's title and metrics (up to its axes).
    const widget = (title: string) => {
      const at = body.indexOf(`"title":"${title}"`);
      expect(at).toBeGreaterThan(-1);
      return body.slice(at, body.indexOf('"yAxis"', at));
    };
    const calls = widget('Traffic: calls vs baseline (last settled window)');
    expect(calls).toContain(`["${METRICS.namespace}","${METRICS.trafficCalls}",{"label":"calls"`);
    expect(calls).toContain(
      `["${METRICS.namespace}","${METRICS.trafficExpectedCalls}",{"label":"expected (baseline)"`,
    );
    const spend = widget('Traffic: outbound spend vs baseline (USD, last settled window)');
    expect(spend).toContain(`["${METRICS.namespace}","${METRICS.trafficSpend}",{"label":"spend"`);
    expect(spend).toContain(`["${METRICS.namespace}","${METRICS.trafficExpectedSpend}",`);
    // Each run reports the same window for a few runs: the average of a period (CloudWatch's
    // default statistic, so not written), never their sum.
    expect(calls + spend).not.toContain('"stat"');
    // No dimension at all for the default account (each metric is [namespace, name, options]).
    expect(calls + spend).not.toMatch(/"Traffic\w+","/);
    expect(calls + spend).not.toContain('trunk_domain');
  });
});

describe('stack', () => {
  it('passes cdk-nag AwsSolutions with every exception acknowledged', () => {
    expect(nagFindings(synthesized.app)).toEqual([]);
  });

  it('tags every resource with project, stage and the configured tags', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      Tags: Match.arrayWith([
        { Key: 'owner', Value: 'platform' },
        { Key: 'project', Value: 'zentrunk-alerts' },
        { Key: 'stage', Value: 'test' },
      ]),
    });
  });

  it('outputs what the deploy guide refers to', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'PlivoCredentialsSecretArn',
        'AlertTopicArn',
        'OperationsTopicArn',
        'DashboardUrl',
      ]),
    );
  });
});
