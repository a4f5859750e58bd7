import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../functions/core/config/load-config';
import type { ProjectConfigInput } from '../../lib/config/project-config';
import { ALERT_CONFIG_FILE_NAME } from '../../lib/poller-function';
import { REPO_ROOT, stageConfigFile } from '../../lib/project-paths';
import { addZentrunkAlerts } from '../../lib/zentrunk-alerts-app';
import { nagFindings, pollerAssetDir, type Synthesized, synth, tempDir, writeConfigFile } from './synth';
import { functionPermissions, ref, resourcesOf } from './template-queries';

// These variants look at everything but the function code, so they skip bundling (the stub
// handler and the real one are bundled in stack.test.ts and below).

const ALERT_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:voice-alerts';
const ALERT_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-2222-bbbb-3333-cccc4444dddd';
const OPS_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:platform-ops';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:zentrunk/plivo-AbCdEf';
const SECRET_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/5555eeee-6666-ffff-7777-aaaa8888bbbb';

describe('schedule, timeout and log level follow the config', () => {
  let fifteen: Synthesized;
  beforeAll(() => {
    fifteen = synth({
      config: {
        deployment: {
          scheduleMinutes: 15,
          function: { timeoutSeconds: 600, logLevel: 'DEBUG' },
          operations: { noSuccessfulPollMinutes: 60, plivoThrottledMinutes: 30, durationAlarmPercent: 90 },
        },
      },
      skipBundling: true,
    });
  });

  it('runs every 15 minutes with a 10-minute timeout', () => {
    fifteen.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    fifteen.template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 600 });
    fifteen.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumEventAgeInSeconds: 900,
    });
  });

  it('switches the debug lines on when function.logLevel says DEBUG', () => {
    fifteen.template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'INFO' },
    });
  });

  it('sizes the alarms to the interval', () => {
    fifteen.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'zentrunk-alerts-test-no-successful-poll',
      Period: 900,
      EvaluationPeriods: 4,
    });
    fifteen.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'zentrunk-alerts-test-plivo-throttled',
      Period: 900,
      EvaluationPeriods: 2,
    });
    fifteen.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'zentrunk-alerts-test-poller-duration-near-timeout',
      Threshold: 540_000,
    });
  });
});

describe('existing topics and secret', () => {
  let existing: Synthesized;
  beforeAll(() => {
    existing = synth({
      config: {
        deployment: {
          stackName: 'voice-alerts',
          alertTopic: { existingTopicArn: ALERT_TOPIC_ARN, existingTopicKmsKeyArn: ALERT_KEY_ARN },
          plivoCredentials: { existingSecretArn: SECRET_ARN, existingSecretKmsKeyArn: SECRET_KEY_ARN },
          operations: { topic: 'existing', existingTopicArn: OPS_TOPIC_ARN },
        },
      },
      skipBundling: true,
    });
  });

  it('creates no topic, key or secret', () => {
    for (const type of [
      'AWS::SNS::Topic',
      'AWS::SNS::Subscription',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
    ]) {
      existing.template.resourceCountIs(type, 0);
    }
  });

  it('only grants publish on the existing topic, reading the existing secret, and use of their keys', () => {
    const { permissions } = functionPermissions(existing.template);
    const on = (prefix: string) => permissions.filter((p) => p.action.startsWith(prefix));
    expect(on('sns:')).toEqual([
      { action: 'sns:Publish', resource: ALERT_TOPIC_ARN, effect: 'Allow' },
      { action: 'sns:Publish', resource: OPS_TOPIC_ARN, effect: 'Allow' },
    ]);
    expect(on('kms:').map((p) => [p.action, p.resource])).toEqual(
      expect.arrayContaining([
        ['kms:Decrypt', ALERT_KEY_ARN],
        ['kms:GenerateDataKey', ALERT_KEY_ARN],
        ['kms:Decrypt', SECRET_KEY_ARN],
      ]),
    );
    expect(on('kms:')).toHaveLength(3);
    expect(new Set(on('secretsmanager:').map((p) => p.resource))).toEqual(new Set([SECRET_ARN]));
    expect(permissions.filter((p) => JSON.stringify(p.resource).includes('*'))).toEqual([]);
  });

  it('points the function at them', () => {
    existing.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { ALERT_TOPIC_ARN: ALERT_TOPIC_ARN, PLIVO_CREDENTIALS_SECRET_ARN: SECRET_ARN },
      },
    });
  });

  it('sends the alarms to the existing operations topic', () => {
    const alarms = Object.values(resourcesOf(existing.template, 'AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) {
      expect(alarm.Properties?.AlarmActions).toEqual([OPS_TOPIC_ARN]);
      expect(alarm.Properties?.AlarmName).toMatch(/^voice-alerts-/);
    }
  });

  it('passes cdk-nag', () => {
    expect(nagFindings(existing.app)).toEqual([]);
  });
});

describe('an existing secret by name', () => {
  it('grants read on that name with the suffix AWS appends, not a wildcard', () => {
    const { template } = synth({
      config: { deployment: { plivoCredentials: { existingSecretName: 'zentrunk/plivo' } } },
      skipBundling: true,
    });
    const { permissions } = functionPermissions(template);
    const resources = permissions
      .filter((p) => p.action.startsWith('secretsmanager:'))
      .map((p) => p.resource);
    expect(JSON.stringify(resources[0])).toMatch(/:secret:zentrunk\/plivo-\?\?\?\?\?\?"/);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});

describe('operations through the alert topic', () => {
  let shared: Synthesized;
  beforeAll(() => {
    shared = synth({ config: { deployment: { operations: { topic: 'alert-topic' } } }, skipBundling: true });
  });

  it('uses one topic for alerts and alarms, open to this stack’s alarms', () => {
    shared.template.resourceCountIs('AWS::SNS::Topic', 1);
    shared.template.resourceCountIs('AWS::KMS::Key', 1);
    const [topicId] = Object.keys(resourcesOf(shared.template, 'AWS::SNS::Topic'));
    for (const alarm of Object.values(resourcesOf(shared.template, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties?.AlarmActions).toEqual([ref(topicId as string)]);
    }
    shared.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
    shared.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('lets the poller send its health messages to the alert topic (no OPS_TOPIC_ARN)', () => {
    const [fn] = Object.values(resourcesOf(shared.template, 'AWS::Lambda::Function')).filter(
      (f) => (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables,
    );
    const variables = (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toHaveProperty('ALERT_TOPIC_ARN');
    expect(variables).not.toHaveProperty('OPS_TOPIC_ARN');
  });
});

describe('the committed stage configs', () => {
  it.each(['dev', 'prod'])('config/%s.json synthesizes and passes cdk-nag', (stage) => {
    const { app, template } = synth({ config: stageConfigFile(stage), stage, skipBundling: true });
    expect(nagFindings(app)).toEqual([]);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    // Prod's table (cursor, dedup records) cannot be deleted by accident; dev's is throwaway.
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: stage === 'prod' });
  });
});

describe('state table deletion protection', () => {
  it('can be turned off in the config', () => {
    const { template } = synth({
      config: { deployment: { stateTable: { deletionProtection: false } } },
      skipBundling: true,
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    // Still retained when the stack goes: protection and retention are independent.
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });
});

describe('the config reaches the function', () => {
  /** Runs the bundled stub handler against the bundled config, as Lambda would. */
  function runBundledStub(synthesized: Synthesized): unknown {
    const assetDir = pollerAssetDir(synthesized);
    const script =
      `const { handler } = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)});` +
      'console.log(JSON.stringify(await handler({}, {})));';
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        TMPDIR: tmpdir(),
        ALERT_CONFIG_FILE: join(assetDir, ALERT_CONFIG_FILE_NAME),
      },
      encoding: 'utf8',
    });
    return JSON.parse(output);
  }

  const withThreshold = (thresholdPct: number): ProjectConfigInput => ({
    rules: { 'packet-loss': { thresholdPct } },
  });

  it('changes the asset hash when a threshold changes, and the function reads the new value', () => {
    const before = synth({ config: withThreshold(1) });
    const after = synth({ config: withThreshold(2) });
    expect(pollerAssetDir(before)).not.toEqual(pollerAssetDir(after));
    expect(runBundledStub(before)).toEqual({ packetLossThresholdPct: 1 });
    expect(runBundledStub(after)).toEqual({ packetLossThresholdPct: 2 });
  });
});

describe('an invalid config', () => {
  const bad = { deployment: { scheduleMinutes: 3, function: { timeoutSeconds: 200 } } };

  it('stops the app before anything is built, naming the field', () => {
    // An App without an outdir makes one of its own in the temp directory (cdk.outXXXXXX).
    const app = new App({ outdir: tempDir('cdk-out-unused') });
    const build = () => addZentrunkAlerts(app, { stage: 'test', configFile: writeConfigFile(bad) });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/deployment\.function\.timeoutSeconds: must be shorter than the schedule interval/);
    expect(app.node.children).toHaveLength(0);
  });

  it('names the stages there are when the stage has no config', () => {
    expect(() =>
      addZentrunkAlerts(new App({ outdir: tempDir('cdk-out-unused') }), { stage: 'staging' }),
    ).toThrow(/no config for stage "staging" \(stages: dev, prod\)/);
  });

  it('makes `cdk synth` (bin/app.ts) exit non-zero with the field path', () => {
    const result = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        // How the CDK CLI hands `-c config=...` and the output directory to the app.
        CDK_CONTEXT_JSON: JSON.stringify({ config: writeConfigFile(bad) }),
        CDK_OUTDIR: tempDir('cdk-out-invalid'),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'deployment.function.timeoutSeconds: must be shorter than the schedule interval',
    );
  });
});

describe('bin/app.ts', () => {
  it.each([
    ['set but empty', { CDK_DEFAULT_ACCOUNT: '', CDK_DEFAULT_REGION: '' }],
    ['unset', {}],
  ])(
    'synthesizes an environment-agnostic stack when CDK_DEFAULT_ACCOUNT/REGION are %s',
    (_case, defaults) => {
      const outdir = tempDir('cdk-out-app');
      const env: NodeJS.ProcessEnv = { ...process.env, ...defaults };
      if (!('CDK_DEFAULT_ACCOUNT' in defaults)) {
        delete env.CDK_DEFAULT_ACCOUNT;
        delete env.CDK_DEFAULT_REGION;
      }
      const result = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: {
          ...env,
          // As `cdk synth` with bundling skipped: only the template matters here.
          CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
          CDK_OUTDIR: outdir,
        },
      });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string; environment?: string }>;
      };
      expect(manifest.artifacts['zentrunk-alerts-dev']).toMatchObject({
        type: 'aws:cloudformation:stack',
        environment: 'aws://unknown-account/unknown-region',
      });
    },
  );
});
