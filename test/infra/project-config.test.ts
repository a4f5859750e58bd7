import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../functions/core/config/load-config';
import {
  loadProjectConfig,
  parseProjectConfig,
  loadRuntimeConfigFile,
  projectConfigJsonSchema,
  runtimeConfigOf,
} from '../../lib/config/project-config';
import { DEFAULT_PLIVO_API_BASE_URL } from '../../functions/core/contract';
import { CONFIG_DIR } from '../../lib/project-paths';
import { tempDir, writeConfigFile } from './synth';

/** The issues a config raises, as "path: message" lines. */
function issuesOf(value: unknown): string[] {
  try {
    parseProjectConfig(value);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('deployment config', () => {
  it('applies defaults to an empty deployment section', () => {
    expect(parseProjectConfig({}).deployment).toEqual({
      tags: {},
      scheduleMinutes: 1,
      function: { memoryMb: 256, timeoutSeconds: 50, logRetentionDays: 30, logLevel: 'INFO' },
      plivoApiBaseUrl: DEFAULT_PLIVO_API_BASE_URL,
      plivoCredentials: {},
      accounts: {},
      alertTopic: { subscriptions: [] },
      stateTable: { deletionProtection: true },
      operations: {
        topic: 'new',
        emails: [],
        noSuccessfulPollMinutes: 30,
        plivoThrottledMinutes: 15,
        durationAlarmPercent: 80,
      },
    });
  });

  it.each(['dev', 'prod'])('loads the committed config/%s.json', (stage) => {
    const config = loadProjectConfig(join(CONFIG_DIR, `${stage}.json`));
    expect(config.$schema).toBe('./config.schema.json');
    expect(config.deployment.function.timeoutSeconds).toBeLessThan(config.deployment.scheduleMinutes * 60);
  });

  it.each([
    [
      'a timeout as long as the schedule interval',
      { scheduleMinutes: 2, function: { timeoutSeconds: 120 } },
      'deployment.function.timeoutSeconds: must be shorter than the schedule interval',
    ],
    [
      'a 5-minute function timeout with a 1-minute schedule',
      { scheduleMinutes: 1, function: { timeoutSeconds: 240 } },
      'deployment.function.timeoutSeconds: must be shorter than the schedule interval (scheduleMinutes 1 = 60 s)',
    ],
    [
      'a no-success window shorter than two intervals',
      { scheduleMinutes: 10, operations: { noSuccessfulPollMinutes: 15 } },
      'deployment.operations.noSuccessfulPollMinutes: must be at least two schedule intervals (20 minutes)',
    ],
    [
      'an SMS endpoint that is not E.164',
      { alertTopic: { subscriptions: [{ protocol: 'sms', endpoint: '0155 5555' }] } },
      'deployment.alertTopic.subscriptions[0].endpoint: must be an E.164 phone number',
    ],
    [
      'a plain-http endpoint',
      { alertTopic: { subscriptions: [{ protocol: 'https', endpoint: 'http://hooks.example.com/x' }] } },
      'deployment.alertTopic.subscriptions[0].endpoint: must be an https:// URL',
    ],
    [
      'an invalid email',
      { alertTopic: { subscriptions: [{ protocol: 'email', endpoint: 'oncall' }] } },
      'deployment.alertTopic.subscriptions[0].endpoint: must be an email address',
    ],
    [
      'an SQS endpoint that is not a queue ARN',
      {
        alertTopic: {
          subscriptions: [{ protocol: 'sqs', endpoint: 'https://sqs.us-east-1.amazonaws.com/1/q' }],
        },
      },
      'deployment.alertTopic.subscriptions[0].endpoint: must be an SQS queue ARN',
    ],
    [
      'an unknown protocol',
      { alertTopic: { subscriptions: [{ protocol: 'lambda', endpoint: 'x' }] } },
      'deployment.alertTopic.subscriptions[0].protocol:',
    ],
    [
      'a filter on an unknown rule',
      {
        alertTopic: {
          subscriptions: [
            { protocol: 'email', endpoint: 'a@example.com', filterPolicy: { rule: ['jitter'] } },
          ],
        },
      },
      'deployment.alertTopic.subscriptions[0].filterPolicy.rule[0]: Invalid option',
    ],
    [
      'a filter policy with more attributes than SNS allows',
      {
        alertTopic: {
          subscriptions: [
            {
              protocol: 'email',
              endpoint: 'a@example.com',
              filterPolicy: {
                severity: ['critical'],
                rule: ['packet-loss-spike'],
                state: ['firing'],
                trunk_domain: ['a'],
                direction: ['inbound'],
                to_country: ['GB'],
              },
            },
          ],
        },
      },
      'deployment.alertTopic.subscriptions[0].filterPolicy: SNS allows at most 5 attributes',
    ],
    [
      'a filter on an attribute the notifier does not set',
      {
        alertTopic: {
          subscriptions: [{ protocol: 'email', endpoint: 'a@example.com', filterPolicy: { carrier: ['x'] } }],
        },
      },
      'deployment.alertTopic.subscriptions[0].filterPolicy: Unrecognized key: "carrier"',
    ],
    [
      'the same subscription twice',
      {
        alertTopic: {
          subscriptions: [
            { protocol: 'email', endpoint: 'a@example.com' },
            { protocol: 'email', endpoint: 'a@example.com' },
          ],
        },
      },
      'deployment.alertTopic.subscriptions[1].endpoint: duplicate subscription email:a@example.com',
    ],
    [
      'an existing topic that is not an ARN',
      { alertTopic: { existingTopicArn: 'alerts' } },
      'deployment.alertTopic.existingTopicArn: must be an SNS topic ARN',
    ],
    [
      'subscriptions on an existing topic',
      {
        alertTopic: {
          existingTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
          subscriptions: [{ protocol: 'email', endpoint: 'a@example.com' }],
        },
      },
      'deployment.alertTopic.subscriptions: subscribe to an existing topic where it is managed',
    ],
    [
      'an existing operations topic without its ARN',
      { operations: { topic: 'existing' } },
      'deployment.operations.existingTopicArn: required when topic is "existing"',
    ],
    [
      'operations emails for the alert topic',
      { operations: { topic: 'alert-topic', emails: ['a@example.com'] } },
      'deployment.operations.emails: only applies when topic is "new"',
    ],
    [
      'two secrets',
      { plivoCredentials: { existingSecretName: 'plivo', newSecretName: 'plivo2' } },
      'deployment.plivoCredentials.newSecretName: give only one of',
    ],
    [
      'a secret ARN without its suffix',
      {
        plivoCredentials: { existingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:plivo' },
      },
      'deployment.plivoCredentials.existingSecretArn: must be a complete secret ARN',
    ],
    [
      'a log retention CloudWatch does not offer',
      { function: { logRetentionDays: 10 } },
      'deployment.function.logRetentionDays: Invalid option',
    ],
    ['a plain-http Plivo URL', { plivoApiBaseUrl: 'http://api.plivo.com' }, 'deployment.plivoApiBaseUrl:'],
    ['an unknown key', { schedule: 5 }, 'deployment: Unrecognized key: "schedule"'],
    // Above INFO, Lambda would drop the metrics documents (no level: filed as INFO).
    ['a log level above INFO', { function: { logLevel: 'WARN' } }, 'deployment.function.logLevel: '],
  ])('rejects %s with the field path', (_case, deployment, expected) => {
    expect(issuesOf({ deployment }).join('\n')).toContain(expected);
  });

  it('checks the runtime safety margin against the deployed timeout', () => {
    expect(
      issuesOf({
        poll: { safetyMarginSeconds: 60 },
        deployment: { scheduleMinutes: 5, function: { timeoutSeconds: 60 } },
      }),
    ).toEqual(['poll.safetyMarginSeconds: must be shorter than deployment.function.timeoutSeconds (60)']);
  });

  it('sizes the default timeout to the schedule: the interval less 10 s, at most 240 s', () => {
    const timeoutAt = (scheduleMinutes: number) =>
      parseProjectConfig({ deployment: { scheduleMinutes } }).deployment.function.timeoutSeconds;
    expect([1, 2, 5, 15].map(timeoutAt)).toEqual([50, 110, 240, 240]);
    // Set, it is kept.
    expect(
      parseProjectConfig({ deployment: { scheduleMinutes: 5, function: { timeoutSeconds: 120 } } }).deployment
        .function.timeoutSeconds,
    ).toBe(120);
  });

  it('checks the windowed rules that are on against the schedule interval', () => {
    const deployment = { scheduleMinutes: 10, function: { timeoutSeconds: 240 } };
    expect(
      issuesOf({
        windowedRules: {
          'packet-loss-spike': { enabled: true, windowMinutes: 5 },
          // On for one country only, by an override: checked too.
          'answer-seizure-ratio': {
            windowMinutes: 5,
            overrides: [{ scope: { countries: ['GB'] }, enabled: true }],
          },
          // Off: its settings do not matter.
          'low-quality-share': { windowMinutes: 5, for: { breachMinutes: 5, withinMinutes: 5 } },
        },
        deployment,
      }),
    ).toEqual([
      'windowedRules.packet-loss-spike.windowMinutes: must be at least the schedule interval (deployment.scheduleMinutes 10): the calls that ended between two runs would never be counted',
      'windowedRules.answer-seizure-ratio.windowMinutes: must be at least the schedule interval (deployment.scheduleMinutes 10): the calls that ended between two runs would never be counted',
    ]);
    // The defaults (a 15-minute window; flap control 2 of 3 minutes, which at 10 minutes is the
    // first breaching run) fit it.
    expect(issuesOf({ windowedRules: { 'packet-loss-spike': { enabled: true } }, deployment })).toEqual([]);
  });

  it('still validates the runtime part', () => {
    expect(issuesOf({ rules: { 'packet-loss': { thresholdPct: 0 } } })[0]).toMatch(
      /^rules\.packet-loss\.thresholdPct: /,
    );
  });

  it('names the file and the path when loading a bad file', () => {
    const file = writeConfigFile({ deployment: { scheduleMinutes: 0 } });
    expect(() => loadProjectConfig(file)).toThrow(ConfigError);
    expect(() => loadProjectConfig(file)).toThrow(
      `Invalid alert config (${file}):\n  - deployment.scheduleMinutes:`,
    );
  });

  it('reports unreadable and malformed files as ConfigError', () => {
    expect(() => loadProjectConfig(join(tempDir('missing'), 'none.json'))).toThrow(/cannot read file/);
    const file = join(tempDir('bad-json'), 'bad.json');
    writeFileSync(file, '{ "deployment": ');
    expect(() => loadProjectConfig(file)).toThrow(/not valid JSON/);
  });
});

describe('runtime config for the function', () => {
  const project = parseProjectConfig({
    $schema: './config.schema.json',
    rules: { 'high-jitter': { thresholdMs: 42 } },
    deployment: { scheduleMinutes: 10 },
  });
  const runtime = runtimeConfigOf(project);

  it('drops the deployment section and the editor-only $schema', () => {
    expect(runtime).not.toHaveProperty('deployment');
    expect(runtime).not.toHaveProperty('$schema');
    expect(runtime.rules['high-jitter'].thresholdMs).toBe(42);
  });

  it('is exactly what the poller will parse (defaults applied, a fixed point)', () => {
    expect(parseConfig(JSON.parse(JSON.stringify(runtime)))).toEqual(runtime);
  });

  it('is what the poller loads from a stage file and from the runtime file the stack ships alike', () => {
    const stageFile = join(CONFIG_DIR, 'prod.json');
    const fromStage = loadRuntimeConfigFile(stageFile);
    expect(fromStage).toEqual(runtimeConfigOf(loadProjectConfig(stageFile)));
    expect(loadRuntimeConfigFile(writeConfigFile(fromStage))).toEqual(fromStage);
    // A stage file's deployment section is still validated, with its path.
    expect(() => loadRuntimeConfigFile(writeConfigFile({ deployment: { scheduleMinutes: 0 } }))).toThrow(
      /deployment\.scheduleMinutes/,
    );
  });
});

describe('config/config.schema.json', () => {
  it('is up to date with the zod schema (run `npm run config:schema`)', () => {
    const committed = JSON.parse(readFileSync(join(CONFIG_DIR, 'config.schema.json'), 'utf8'));
    expect(committed).toEqual(projectConfigJsonSchema());
  });

  it('describes the deployment section and allows $schema', () => {
    const schema = projectConfigJsonSchema() as { properties: Record<string, { properties?: object }> };
    expect(schema.properties.$schema).toEqual({ type: 'string' });
    expect(Object.keys(schema.properties.deployment?.properties ?? {})).toEqual(
      expect.arrayContaining(['scheduleMinutes', 'function', 'alertTopic', 'operations', 'plivoCredentials']),
    );
  });
});

describe('subscription filter policies', () => {
  it('accept every rule the notifier names, windowed and operational ones included, and the group labels', () => {
    const config = parseProjectConfig({
      deployment: {
        alertTopic: {
          subscriptions: [
            {
              protocol: 'email',
              endpoint: 'pager@example.com',
              filterPolicy: {
                rule: ['packet-loss-spike', 'answer-seizure-ratio', 'catch-up-summary', 'poller-health'],
                state: ['firing'],
                to_country: ['GB'],
              },
            },
          ],
        },
      },
    });
    expect(config.deployment.alertTopic.subscriptions[0]?.filterPolicy?.rule).toHaveLength(4);
  });
});

describe('accounts: secrets and filters on the deployment side', () => {
  const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:zentrunk/acme-AbCdEf';
  const accounts = [{ name: 'default' }, { name: 'acme', maxRequestsPer5s: 150 }, { name: 'globex' }];

  it('takes a secret per listed account, keeps it out of the runtime config', () => {
    const config = parseProjectConfig({
      accounts,
      deployment: {
        plivoCredentials: { existingSecretName: 'zentrunk/plivo' },
        accounts: { acme: { existingSecretArn: SECRET_ARN }, globex: { newSecretName: 'zentrunk/globex' } },
        alertTopic: {
          subscriptions: [
            { protocol: 'email', endpoint: 'acme-noc@example.com', filterPolicy: { account: ['acme'] } },
          ],
        },
      },
    });
    expect(config.deployment.accounts.acme).toEqual({ existingSecretArn: SECRET_ARN });
    const runtime = runtimeConfigOf(config);
    expect(runtime.accounts).toEqual(accounts);
    expect(JSON.stringify(runtime)).not.toContain('zentrunk/globex');
  });

  it('the example in docs/deploy.md ("Several Plivo accounts") is a valid stage config', () => {
    const guide = readFileSync(join(CONFIG_DIR, '..', 'docs', 'deploy.md'), 'utf8');
    const section = guide.slice(guide.indexOf('## Several Plivo accounts'));
    const example = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(example).toBeDefined();
    const config = parseProjectConfig(JSON.parse(example as string), 'docs/deploy.md');
    expect(config.accounts?.map((account) => account.name)).toEqual(['default', 'acme', 'globex-eu']);
    expect(Object.keys(config.deployment.accounts)).toEqual(['acme', 'globex-eu']);
  });

  it('a config without accounts ships exactly the runtime config it shipped before', () => {
    expect(runtimeConfigOf(parseProjectConfig({}))).not.toHaveProperty('accounts');
  });

  it.each([
    [
      'a secret for an account not listed',
      { accounts, deployment: { accounts: { initech: { newSecretName: 'x' } } } },
      'deployment.accounts.initech: no account "initech" in accounts (the accounts listed are default, acme, globex)',
    ],
    [
      'a secret for an account without any accounts list',
      { deployment: { accounts: { acme: {} } } },
      'deployment.accounts.acme: no account "acme" in accounts (no accounts are listed)',
    ],
    [
      'the default account under accounts',
      { accounts, deployment: { accounts: { default: { existingSecretName: 'x' } } } },
      "deployment.accounts.default: the default account's secret is deployment.plivoCredentials",
    ],
    [
      'a default secret nobody uses',
      { accounts: [{ name: 'acme' }], deployment: { plivoCredentials: { existingSecretName: 'plivo' } } },
      'deployment.plivoCredentials: is the secret of the account "default", which accounts does not list',
    ],
    [
      'two new secrets of one name',
      {
        accounts,
        deployment: {
          plivoCredentials: { newSecretName: 'plivo' },
          accounts: { globex: { newSecretName: 'plivo' } },
        },
      },
      'deployment.accounts.globex.newSecretName: deployment.plivoCredentials already creates a secret named plivo',
    ],
    [
      'two ways to one secret',
      { accounts, deployment: { accounts: { acme: { existingSecretName: 'a', newSecretName: 'b' } } } },
      'deployment.accounts.acme.newSecretName: give only one of',
    ],
    [
      'a filter on an account not listed',
      {
        accounts,
        deployment: {
          alertTopic: {
            subscriptions: [
              { protocol: 'email', endpoint: 'a@example.com', filterPolicy: { account: ['initech'] } },
            ],
          },
        },
      },
      'deployment.alertTopic.subscriptions[0].filterPolicy.account: no account "initech"',
    ],
    [
      'a filter on the default account (its messages carry no account)',
      {
        accounts,
        deployment: {
          alertTopic: {
            subscriptions: [
              { protocol: 'email', endpoint: 'a@example.com', filterPolicy: { account: ['default'] } },
            ],
          },
        },
      },
      "filterPolicy.account: the default account's messages carry no account attribute",
    ],
  ])('rejects %s', (_case, config, expected) => {
    expect(issuesOf(config).join('\n')).toContain(expected);
  });
});
