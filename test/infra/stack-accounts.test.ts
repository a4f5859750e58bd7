/**
 * Several Plivo accounts in one stack: a secret, a schedule rule and alarms per account, all on
 * the one function. (The single implicit account is stack.test.ts: exactly the stack from before
 * accounts.) The function code is not looked at here, so bundling is skipped.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { ENV, METRICS } from '../../functions/core/contract';
import { scheduledEvent, transformInput } from '../support/eventbridge';
import { nagFindings, type Synthesized, synth } from './synth';
import { functionPermissions, logicalIdOf, ref, resourcesOf } from './template-queries';

const DEFAULT_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:zentrunk/plivo-AbCdEf';
const GLOBEX_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/5555eeee-6666-ffff-7777-aaaa8888bbbb';

type Template = Synthesized['template'];

const rulesOf = (template: Template) =>
  Object.values(resourcesOf(template, 'AWS::Events::Rule')).map((rule) => {
    const [target] = rule.Properties?.Targets as Array<Record<string, unknown>>;
    return { description: rule.Properties?.Description as string, target: target ?? {} };
  });

/** The account a rule's target names in its input, read back from the input template. */
/** The Plivo account a rule's target names: its input transformer applied to AWS's scheduled event. */
function accountOf(target: Record<string, unknown>): unknown {
  const transformer = target.InputTransformer as { InputTemplate: string } | undefined;
  if (!transformer) return undefined;
  const event = scheduledEvent({
    ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/r',
    time: new Date(),
    region: 'us-east-1',
    accountId: '123456789012',
  });
  const input = transformInput(transformer, event, { arn: event.resources[0] as string, name: 'r' }) as {
    plivoAccount: string;
    schedule: unknown;
  };
  // The scheduled event rides along untouched, for the poller to check and read its time from.
  expect(input.schedule).toEqual(event);
  return input.plivoAccount;
}

const alarmsOf = (template: Template) =>
  Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties ?? {});

const environmentOf = (template: Template) => {
  const [fn] = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
  return (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
};

describe('three accounts: the default one, and two more', () => {
  let synthesized: Synthesized;
  let template: Template;
  beforeAll(() => {
    synthesized = synth({
      config: {
        plivo: { maxRequestsPer5s: 60 },
        accounts: [
          { name: 'default' },
          { name: 'acme', maxRequestsPer5s: 200 },
          { name: 'globex-eu', callFilters: { callDirection: 'outbound' } },
        ],
        deployment: {
          plivoCredentials: { existingSecretArn: DEFAULT_SECRET_ARN },
          accounts: {
            acme: { newSecretName: 'zentrunk/acme' },
            'globex-eu': { existingSecretName: 'zentrunk/globex', existingSecretKmsKeyArn: GLOBEX_KEY_ARN },
          },
          alertTopic: {
            subscriptions: [
              { protocol: 'email', endpoint: 'acme-noc@example.com', filterPolicy: { account: ['acme'] } },
            ],
          },
        },
      },
      skipBundling: true,
    });
    template = synthesized.template;
  });

  it('creates a placeholder secret only for the account that has no existing one', () => {
    const secrets = Object.values(resourcesOf(template, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.Properties).toMatchObject({
      Name: 'zentrunk/acme',
      Description: expect.stringMatching(/^Plivo credentials for zentrunk-alerts \(account acme\)/),
      GenerateSecretString: {
        SecretStringTemplate: '{"authId":"REPLACE_ME"}',
        GenerateStringKey: 'authToken',
      },
    });
  });

  it('gives the function the default secret as before and the others as a name-to-ARN map, never a value', () => {
    const acmeSecret = logicalIdOf(template, 'AWS::SecretsManager::Secret');
    const variables = environmentOf(template);
    expect(variables[ENV.plivoCredentialsSecretArn]).toBe(DEFAULT_SECRET_ARN);
    const map = JSON.stringify(variables[ENV.plivoAccountSecretArns]);
    expect(map).toContain('acme');
    expect(map).toContain(acmeSecret);
    expect(map).toContain('globex-eu');
    expect(map).toContain(':secret:zentrunk/globex');
    expect(map).not.toMatch(/REPLACE_ME|authToken/);
  });

  it('lets the function read every account secret (and decrypt the one with its own key), nothing more', () => {
    const { permissions } = functionPermissions(template);
    const reads = permissions
      .filter((p) => p.action === 'secretsmanager:GetSecretValue')
      .map((p) => JSON.stringify(p.resource));
    expect(reads).toHaveLength(3);
    expect(reads.join(' ')).toContain(DEFAULT_SECRET_ARN);
    expect(reads.join(' ')).toContain(logicalIdOf(template, 'AWS::SecretsManager::Secret'));
    expect(reads.join(' ')).toContain(':secret:zentrunk/globex-??????');
    expect(permissions).toContainEqual({ action: 'kms:Decrypt', resource: GLOBEX_KEY_ARN, effect: 'Allow' });
  });

  it('starts one run per account and tick, each naming its account, on the one function', () => {
    const fn = logicalIdOf(template, 'AWS::Lambda::Function');
    const rules = rulesOf(template);
    expect(rules.map((rule) => accountOf(rule.target)).sort()).toEqual(['acme', 'default', 'globex-eu']);
    for (const rule of rules) {
      expect(rule.target.Arn).toEqual({ 'Fn::GetAtt': [fn, 'Arn'] });
      expect(rule.description).toBe(
        `Starts a zentrunk-alerts poll run for Plivo account ${accountOf(rule.target)}`,
      );
    }
    template.resourceCountIs('AWS::Lambda::Function', 1);
    // The default account keeps the rule it had.
    expect(Object.keys(resourcesOf(template, 'AWS::Events::Rule'))).toContain(
      logicalIdOf(template, 'AWS::Events::Rule', {
        Description: 'Starts a zentrunk-alerts poll run for Plivo account default',
      }),
    );
    expect(
      logicalIdOf(template, 'AWS::Events::Rule', { Description: Match.stringLikeRegexp('default') }),
    ).toMatch(/^PollScheduleRule[0-9A-F]{8}$/);
  });

  it('reserves one concurrent execution per account, so the accounts run side by side', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 3 });
  });

  it('has the function alarms once and the run alarms per account, by Account dimension', () => {
    const alarms = alarmsOf(template);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      [
        'failed-runs-queued',
        'invocations-rejected',
        'poller-duration-near-timeout',
        'poller-errors',
        'poller-throttles',
        ...['', 'acme-', 'globex-eu-'].flatMap((account) =>
          ['no-successful-poll', 'plivo-throttled', 'alerts-dead-lettered'].map(
            (name) => `${account}${name}`,
          ),
        ),
      ]
        .map((name) => `zentrunk-alerts-test-${name}`)
        .sort(),
    );
    const byName = (name: string) => alarms.find((a) => a.AlarmName === `zentrunk-alerts-test-${name}`);
    expect(byName('no-successful-poll')).toMatchObject({ MetricName: METRICS.pollSucceeded });
    expect(byName('no-successful-poll')?.Dimensions).toBeUndefined();
    expect(byName('acme-no-successful-poll')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.pollSucceeded,
      Dimensions: [{ Name: 'Account', Value: 'acme' }],
      TreatMissingData: 'breaching',
      AlarmDescription: expect.stringMatching(/^Plivo account acme: No poll run has succeeded/),
    });
    expect(byName('globex-eu-plivo-throttled')).toMatchObject({
      MetricName: METRICS.plivoThrottled,
      Dimensions: [{ Name: 'Account', Value: 'globex-eu' }],
    });
    expect(byName('acme-alerts-dead-lettered')?.AlarmDescription).toContain('status --account acme');
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toHaveLength(1);
      expect(alarm.OKActions).toHaveLength(1);
    }
  });

  it('shows each account on the dashboard under its dimension', () => {
    const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    // The body as CloudWatch reads it, without the layers of JSON escaping.
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody).replace(/\\/g, '');
    expect(body).toContain('## Plivo account acme');
    expect(body).toContain('"title":"globex-eu: Poll runs"');
    expect(body).toContain('"title":"Poll runs"');
    expect(body).toContain('["ZentrunkAlerts","PollSucceeded","Account","acme",');
    expect(body).toContain('["ZentrunkAlerts","PollSucceeded",{');
    // The traffic graphs too: each account's own traffic against its own baseline.
    expect(body).toContain('"title":"globex-eu: Traffic: calls vs baseline (last settled window)"');
    expect(body).toContain('["ZentrunkAlerts","TrafficExpectedSpend","Account","acme",');
    expect(body).toContain(
      `{${METRICS.namespace},Account,rule} Account="globex-eu" MetricName="AlertsByRule"`,
    );
    expect(body).toContain(`{${METRICS.namespace},rule} MetricName="AlertsByRule"`);
  });

  it('lets a subscription filter on the account attribute', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'acme-noc@example.com',
      FilterPolicy: { account: ['acme'] },
    });
  });

  it('outputs where to put each account credentials', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.PlivoCredentialsSecretArn?.Value).toBe(DEFAULT_SECRET_ARN);
    expect(JSON.stringify(outputs.PlivoAccountSecretArns?.Value)).toContain('globex-eu');
  });

  it('passes cdk-nag AwsSolutions', () => {
    expect(nagFindings(synthesized.app)).toEqual([]);
  });
});

describe('one listed account (not the default one)', () => {
  let synthesized: Synthesized;
  let template: Template;
  beforeAll(() => {
    synthesized = synth({ config: { accounts: [{ name: 'acme' }] }, skipBundling: true });
    template = synthesized.template;
  });

  it('has no default secret: only the account placeholder, in the map', () => {
    const secret = logicalIdOf(template, 'AWS::SecretsManager::Secret');
    const variables = environmentOf(template);
    expect(variables).not.toHaveProperty(ENV.plivoCredentialsSecretArn);
    expect(variables[ENV.plivoAccountSecretArns]).toEqual({
      'Fn::Join': ['', ['{"acme":"', ref(secret), '"}']],
    });
    expect(Object.keys(template.findOutputs('*'))).not.toContain('PlivoCredentialsSecretArn');
  });

  it('runs that account alone, one run at a time', () => {
    const rules = rulesOf(template);
    expect(rules.map((rule) => accountOf(rule.target))).toEqual(['acme']);
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
  });

  it('alarms on that account only, under its dimension', () => {
    const alarms = alarmsOf(template);
    expect(alarms).toHaveLength(8);
    const noSuccess = alarms.find((a) => a.AlarmName === 'zentrunk-alerts-test-acme-no-successful-poll');
    expect(noSuccess?.Dimensions).toEqual([{ Name: 'Account', Value: 'acme' }]);
    expect(alarms.map((a) => a.AlarmName)).not.toContain('zentrunk-alerts-test-no-successful-poll');
  });

  it('passes cdk-nag AwsSolutions', () => {
    expect(nagFindings(synthesized.app)).toEqual([]);
  });
});

describe('no accounts list: the schedule as before accounts', () => {
  it("one rule, naming the default account as plivoAccount (never left to the event's own account)", () => {
    const { template } = synth({ config: {}, skipBundling: true });
    const rules = rulesOf(template);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.description).toBe('Starts a zentrunk-alerts poll run');
    expect(rules[0]?.target).not.toHaveProperty('Input');
    expect(accountOf(rules[0]?.target ?? {})).toBe('default');
    expect(environmentOf(template)).not.toHaveProperty(ENV.plivoAccountSecretArns);
  });
});
