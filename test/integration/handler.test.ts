/**
 * The Lambda handler exactly as deployed (environment contract, middy, runtime wiring, health)
 * against the Plivo sandbox over HTTP and dynalite, with only the notifiers swapped.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbStateStore } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../../functions/adapters/logging/json-logger';
import { parseConfig } from '../../functions/core/config/load-config';
import { alertsAllowed } from '../../functions/core/poll/stages/alert-budget';
import { createPollHandler } from '../../functions/poller/handler';
import { localLambdaContext } from '../../functions/poller/local-context';
import { type PlivoSandbox, startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import { demoTraffic } from '../../sandbox/traffic';
import { type Dynalite, makeTestTable, startDynalite, testDocumentClient } from '../support/dynalite';
import { DOCUMENTED_SCHEDULED_EVENT, stackScheduleInput } from '../support/eventbridge';
import { RecordingNotifier } from '../support/pipeline';
import { tempDir } from '../support/temp-dir';

const AUTH_ID = 'MAHANDLERTEST000000001';
const AUTH_TOKEN = 'handler-test-token-9c1e77a0b3';
const AWS_KEYS = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

let dynamo: Dynalite;
let sandbox: PlivoSandbox;
let configDir: string;
const savedEnv = new Map(AWS_KEYS.map((k) => [k, process.env[k]]));

beforeAll(async () => {
  dynamo = await startDynalite();
  sandbox = await startPlivoSandbox({
    authId: AUTH_ID,
    authToken: AUTH_TOKEN,
    calls: demoTraffic(new Date()),
  });
  // The SDK reads its endpoint, region and credentials from the environment, as in Lambda.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  configDir = tempDir('zentrunk-handler-');
});

afterAll(async () => {
  await sandbox.close();
  await dynamo.close();
  for (const [k, v] of savedEnv) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

// One sandbox account for all tests: start each with a fresh 300-requests-per-5-s budget.
beforeEach(() => sandbox.resetRequests());

/** EventBridge's timestamps: whole seconds. */
const isoSeconds = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

function writeConfig(config: unknown): string {
  const path = join(configDir, `${randomUUID()}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function harness(
  options: { token?: string; config?: unknown; tableName?: string; secretsOnly?: boolean } = {},
) {
  const tableName = options.tableName ?? (await makeTestTable(dynamo.endpoint)).tableName;
  const logs: string[] = [];
  const metrics: string[] = [];
  const alerts = new RecordingNotifier();
  const ops = new RecordingNotifier();
  const env = {
    PLIVO_API_BASE_URL: sandbox.baseUrl,
    // Deployed: the secrets of the accounts (here only the default's), no credentials in the environment.
    ...(options.secretsOnly
      ? { PLIVO_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:plivo-AbCdEf' }
      : { PLIVO_AUTH_ID: AUTH_ID, PLIVO_AUTH_TOKEN: options.token ?? AUTH_TOKEN }),
    STATE_TABLE_NAME: tableName,
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:unused',
    ALERT_CONFIG_FILE: writeConfig(
      options.config ?? { plivo: { maxRequestsPer5s: 300 }, notifications: { deploymentName: 'it' } },
    ),
  };
  const handler = createPollHandler({
    env,
    notifier: alerts,
    opsNotifier: ops,
    logger: new JsonLogger({ write: (l) => logs.push(l) }),
    writeMetrics: (l) => metrics.push(l),
  });
  const started = Date.now();
  /** What the stack's schedule rule for the account sends (the default account's without one). */
  const invoke = (account?: string) => invokeWith(stackScheduleInput(account ?? 'default'));
  /** Any event, as Lambda would hand it. */
  const invokeWith = (event: unknown) =>
    handler(event, localLambdaContext({ timeoutMs: 240_000 - (Date.now() - started) }));
  const storeOf = (poller?: string) =>
    new DynamoDbStateStore({ tableName, client: testDocumentClient(dynamo.endpoint), poller });
  const store = storeOf();
  return { invoke, invokeWith, logs, metrics, alerts, ops, store, storeOf, tableName };
}

describe('poller handler', () => {
  it('runs a poll from a scheduled event: alerts, a summary log line and EMF metrics', async () => {
    const h = await harness();

    const summary = await h.invoke();

    expect(summary.status).toBe('completed');
    expect(summary.alertsPublished).toBeGreaterThan(5);
    expect(h.alerts.sent).toHaveLength(summary.alertsPublished);
    const finished = h.logs.map((l) => JSON.parse(l)).find((l) => l.message === 'Poll run finished');
    expect(finished.summary).toMatchObject({
      callsSeen: summary.callsSeen,
      alertsPublished: summary.alertsPublished,
    });
    // Every line of the run: its Lambda request and the run id as correlation id.
    const runLines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.function_request_id);
    expect(runLines.length).toBe(h.logs.length);
    expect(new Set(runLines.map((l) => l.correlation_id))).toEqual(new Set([finished.function_request_id]));
    const metric = h.metrics.map((l) => JSON.parse(l)).find((m) => 'PollSucceeded' in m);
    expect(metric).toMatchObject({ PollSucceeded: 1, AlertsPublished: summary.alertsPublished });
    expect((await h.store.getCursor())?.watermark).toBe(summary.watermark);
    expect(h.logs.join('\n')).not.toContain(AUTH_TOKEN);
  });

  it('shares notifications.alertBudget with the runs of the last 5 minutes, read from the run log', async () => {
    const config = {
      plivo: { maxRequestsPer5s: 300 },
      notifications: { deploymentName: 'it', alertBudget: { maxAlerts: 4, perMinutes: 5 } },
    };
    const h = await harness({ config });
    // A run a minute ago (as at a 1-minute schedule) sent 3 of the 4.
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    await h.store.recordRun({
      runId: 'earlier',
      startedAt: minuteAgo,
      finishedAt: minuteAgo,
      status: 'completed',
      readRange: null,
      callsSeen: 3,
      findings: 3,
      alertsPublished: 3,
      alertsSilenced: 0,
      incidentNotices: 0,
      recordsSkipped: 0,
      publishFailures: 0,
      lagSeconds: 0,
      durationMs: 100,
      error: null,
    });

    const summary = await h.invoke();

    // One alert one by one, the rest in catch-up summaries.
    expect(summary.findings).toBeGreaterThan(5);
    expect(summary.catchUpSummaries).toBeGreaterThan(0);
    const oneByOne = h.alerts.sent.filter((m) => m.json.kind !== 'catch-up-summary');
    expect(oneByOne).toHaveLength(1);
    // This run's own record now uses up the budget for the next run.
    expect(await alertsAllowed(h.store, parseConfig(config), new Date())).toBe(0);
  });

  it("runs the default account from EventBridge's own scheduled event, whose account is AWS's", async () => {
    const h = await harness();
    // AWS's documented event, as a rule without input delivers it (a stack deployed before
    // every rule named its account): `account` is the AWS account id, never a Plivo account.
    const summary = await h.invokeWith({ ...DOCUMENTED_SCHEDULED_EVENT, time: isoSeconds(new Date()) });
    expect(summary.status).toBe('completed');
    expect(summary.alertsPublished).toBeGreaterThan(0);
    const started = h.logs.map((l) => JSON.parse(l)).find((l) => l.message === 'Poll run starting');
    expect(started).toMatchObject({ invocation: 'scheduled-event', account: 'default' });
  });

  it('skips a stored item it cannot read, and says so: warning, metric, run log; the run goes on', async () => {
    const h = await harness();
    const documentClient = testDocumentClient(dynamo.endpoint);
    await documentClient.send(
      new PutCommand({
        TableName: h.tableName,
        Item: { pk: 'outbox#poller', sk: 'half-written', covers: ['k'] },
      }),
    );
    await documentClient.send(
      new PutCommand({
        TableName: h.tableName,
        Item: { pk: 'cursor', sk: 'poller', watermark: 'garbage', version: 3 },
      }),
    );
    await documentClient.send(
      new PutCommand({ TableName: h.tableName, Item: { pk: 'health', sk: 'poller', status: 'weird' } }),
    );

    const summary = await h.invoke();

    expect(summary.status).toBe('completed');
    expect(summary.alertsPublished).toBeGreaterThan(0);
    // The unreadable cursor was replaced by the run's own.
    expect((await h.store.getCursor())?.watermark).toBe(summary.watermark);
    const warnings = h.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.level === 'WARN' && /cannot be read/.test(l.message));
    // The health item too, read by the run's own health report: told by this run, not the next.
    expect(warnings.map((w) => w.item).sort()).toEqual(['cursor', 'health', 'outbox half-written']);
    const metric = h.metrics.map((l) => JSON.parse(l)).find((m) => 'StateItemsUnreadable' in m);
    expect(metric?.StateItemsUnreadable).toBe(3);
    const [run] = await h.store.listRuns(1);
    expect(run?.unreadableItems?.map((u) => u.item).sort()).toEqual([
      'cursor',
      'health',
      'outbox half-written',
    ]);
    expect((await h.store.getHealth())?.status).toBe('healthy');

    // The next run meets only what is still unreadable: the outbox entry until its TTL.
    await h.invoke();
    const [next] = await h.store.listRuns(1);
    expect(next?.unreadableItems?.map((u) => u.item)).toEqual(['outbox half-written']);
  });

  it('a run that cannot start still reports the stored items it could not read (its health item)', async () => {
    const h = await harness();
    await testDocumentClient(dynamo.endpoint).send(
      new PutCommand({ TableName: h.tableName, Item: { pk: 'health', sk: 'poller', status: 'weird' } }),
    );
    await expect(h.invokeWith({ plivoAccount: 'default', extra: 1 })).rejects.toMatchObject({
      name: 'InvocationError',
    });
    const [run] = await h.store.listRuns(1);
    expect(run?.error?.kind).toBe('invocation-invalid');
    expect(run?.unreadableItems?.map((u) => u.item)).toEqual(['health']);
    const metric = h.metrics.map((l) => JSON.parse(l)).find((m) => 'StateItemsUnreadable' in m);
    expect(metric?.StateItemsUnreadable).toBe(1);
  });

  it('a manual invocation ({}) polls the default account', async () => {
    const h = await harness();
    expect((await h.invokeWith({})).status).toBe('completed');
  });

  it.each([
    ['text', 'run please'],
    ['a broken scheduled event', { ...DOCUMENTED_SCHEDULED_EVENT, time: 'yesterday', resources: 'x' }],
    ['unknown fields', { plivoAccount: 'default', force: true }],
  ])(
    'refuses an event it cannot read (%s), polls nothing, and reports it on the default account',
    async (_, event) => {
      const h = await harness({
        config: { plivo: { maxRequestsPer5s: 300 }, operations: { failingAlertMinutes: 5 } },
      });
      const before = sandbox.requests.length;
      const error = await h.invokeWith(event).catch((e: Error) => e);
      expect(error).toMatchObject({ name: 'InvocationError' });
      expect((error as Error).message).toMatch(
        /cannot read .*Expected: a schedule rule of the stack sends \{"plivoAccount"/,
      );
      expect(sandbox.requests.length).toBe(before);
      const failed = h.metrics.map((l) => JSON.parse(l)).filter((m) => 'PollFailed' in m);
      expect(failed.map((m) => [m.Account, m.PollFailed, m.PollSucceeded])).toEqual([[undefined, 1, 0]]);
      expect((await h.store.listRuns(5)).map((r) => r.error?.kind)).toEqual(['invocation-invalid']);
      expect(h.ops.sent.map((m) => m.subject)).toEqual([
        expect.stringContaining('not working: invocation-invalid'),
      ]);
      // Its own alarm's metric, without dimension: another account's successful runs cannot hide it.
      const rejected = h.metrics.map((l) => JSON.parse(l)).filter((m) => 'InvocationsRejected' in m);
      expect(rejected.map((m) => [m.InvocationsRejected, m._aws.CloudWatchMetrics[0].Dimensions])).toEqual([
        [1, [[]]],
      ]);
    },
  );

  it('fails clearly on rejected credentials, changes no state, and tells operations once', async () => {
    const wrongToken = 'wrong-token-5d2b8e1f44';
    const h = await harness({ token: wrongToken });

    const first = h.invoke();
    await expect(first).rejects.toThrow(/401/);
    await expect(h.invoke()).rejects.toMatchObject({ name: 'PlivoAuthError' });
    await expect(h.invoke()).rejects.toThrow();

    expect(await h.store.getCursor()).toBeNull();
    expect(await h.store.listPendingInsights()).toEqual([]);
    expect(h.alerts.sent).toEqual([]);
    expect(h.ops.sent).toHaveLength(1);
    expect(h.ops.sent[0]?.subject).toBe('[it CRITICAL] alerter not working: plivo-credentials-rejected');
    const everything = [...h.logs, ...h.ops.sent.map((m) => `${m.subject}${m.text}${m.shortText}`)].join(
      '\n',
    );
    expect(everything).not.toContain(wrongToken);

    // Fixed credentials: the next run works, and operations hear that it recovered.
    const fixed = await harness({ tableName: h.tableName });
    await fixed.invoke();
    expect(fixed.ops.sent.map((m) => m.attributes.state)).toEqual(['resolved']);
  });

  it('refuses an invalid config with the field path, and reports it as such', async () => {
    const h = await harness({
      config: { rules: { 'packet-loss': { thresholdPct: -1 } }, poll: { overlap: 5 } },
    });

    const error = await h.invoke().catch((e: Error) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('rules.packet-loss.thresholdPct');
    expect((error as Error).message).toMatch(/poll.*overlap/);
    await expect(h.invoke()).rejects.toThrow();
    expect(h.ops.sent[0]?.subject).toMatch(/alerter not working: config-invalid/);
    expect(await h.store.getCursor()).toBeNull();
  });
});

describe('poller handler, several Plivo accounts', () => {
  // Both accounts read the one sandbox account here, split by direction (as two accounts of
  // one Plivo account may be; Plivo call UUIDs never repeat across real accounts, so the calls
  // of two accounts never overlap); what matters is that each run is its account's alone.
  const CONFIG = {
    plivo: { maxRequestsPer5s: 300, callFilters: { callDirection: 'outbound' } },
    notifications: { deploymentName: 'it' },
    accounts: [{ name: 'default' }, { name: 'acme', callFilters: { callDirection: 'inbound' } }],
  };

  it('polls the account the event names, with its filters, its state and its name in alerts and metrics', async () => {
    const h = await harness({ config: CONFIG });

    const main = await h.invoke();
    const mainAlerts = h.alerts.sent.length;
    const acme = await h.invoke('acme');

    expect(main.status).toBe('completed');
    expect(acme.status).toBe('completed');
    // Each asked Plivo with its own filters: the default account with the plivo section's.
    const directions = sandbox.requests
      .filter((r) => r.path.includes('/Zentrunk/Call/') && r.query.call_direction)
      .map((r) => r.query.call_direction);
    expect(new Set(directions)).toEqual(new Set(['outbound', 'inbound']));
    expect(directions.indexOf('inbound')).toBeGreaterThan(directions.lastIndexOf('outbound'));
    expect(acme.callsSeen).toBeGreaterThan(0);
    expect(acme.firstRun).toBe(true);
    // Each account its own cursor; the default keeps the key it always had.
    expect((await h.store.getCursor())?.watermark).toBe(main.watermark);
    expect((await h.storeOf('acme').getCursor())?.watermark).toBe(acme.watermark);
    expect(await h.storeOf('acme').listRuns(5)).toHaveLength(1);

    const defaultAlerts = h.alerts.sent.slice(0, mainAlerts);
    const acmeAlerts = h.alerts.sent.slice(mainAlerts);
    expect(acmeAlerts.length).toBeGreaterThan(0);
    for (const alert of defaultAlerts) {
      expect(alert.attributes).not.toHaveProperty('account');
      expect(alert.subject).toMatch(/^\[it /);
    }
    for (const alert of acmeAlerts) {
      expect(alert.attributes.account).toBe('acme');
      expect(alert.json.account).toBe('acme');
      expect(alert.subject).toMatch(/^\[it\/acme /);
      expect(alert.text.startsWith('Plivo account: acme\n')).toBe(true);
    }

    const metrics = h.metrics.map((l) => JSON.parse(l));
    const succeeded = metrics.filter((m) => 'PollSucceeded' in m);
    expect(succeeded.map((m) => [m.Account, m._aws.CloudWatchMetrics[0].Dimensions])).toEqual([
      [undefined, [[]]],
      ['acme', [['Account']]],
    ]);
    const plivo = metrics.filter((m) => 'PlivoThrottled' in m);
    expect(plivo.map((m) => m.Account)).toEqual([undefined, 'acme']);
    const started = h.logs.map((l) => JSON.parse(l)).filter((l) => l.message === 'Poll run starting');
    expect(started.map((l) => l.account)).toEqual(['default', 'acme']);
  });

  it('refuses an account the config does not list, and reports it where the default alarms look', async () => {
    const h = await harness({ config: { ...CONFIG, operations: { failingAlertMinutes: 10 } } });
    const before = sandbox.requests.length;

    await expect(h.invoke('initech')).rejects.toMatchObject({
      name: 'UnknownAccountError',
      message: expect.stringContaining(
        'Unknown Plivo account "initech": the config watches "default", "acme"',
      ),
    });
    await expect(h.invokeWith({ plivoAccount: { name: 'acme' } })).rejects.toMatchObject({
      name: 'InvocationError',
      message: expect.stringMatching(/fields "plivoAccount": plivoAccount: Invalid input/),
    });

    expect(sandbox.requests.length).toBe(before);
    // Counted in the default account's metrics (no dimension): its no-successful-poll alarm.
    const failed = h.metrics.map((l) => JSON.parse(l)).filter((m) => m.PollFailed === 1);
    expect(failed.map((m) => [m.Account, m.PollSucceeded])).toEqual([
      [undefined, 0],
      [undefined, 0],
    ]);
    const errors = h.logs.map((l) => JSON.parse(l)).filter((l) => l.level === 'ERROR');
    expect(errors.map((l) => [l.message, l.reportedAs])).toEqual([
      ['Poller cannot start: nothing polled', 'default'],
      ['Poller cannot start: nothing polled', 'default'],
    ]);
    // In the default account's run log and health: `status` and operations hear of it.
    const runs = await h.store.listRuns(5);
    expect(runs.map((r) => r.error?.kind)).toEqual(['invocation-invalid', 'invocation-invalid']);
    expect(h.ops.sent.map((m) => m.subject)).toEqual([
      '[it CRITICAL] alerter not working: invocation-invalid',
    ]);
    expect(h.ops.sent[0]?.text).toContain('cdk deploy');
    expect(await h.storeOf('initech').listRuns(5)).toEqual([]);
    expect(await h.store.getCursor()).toBeNull();
  });

  it('without the default account in the list, a run that names none is reported on the first account', async () => {
    const h = await harness({ config: { ...CONFIG, accounts: [{ name: 'acme' }, { name: 'beta' }] } });
    await expect(h.invokeWith({})).rejects.toThrow(/names no Plivo account .* watches "acme", "beta"/);
    expect(h.alerts.sent).toEqual([]);
    const failed = h.metrics.map((l) => JSON.parse(l)).filter((m) => m.PollFailed === 1);
    expect(failed.map((m) => m.Account)).toEqual(['acme']);
    expect((await h.storeOf('acme').listRuns(5)).map((r) => r.error?.kind)).toEqual(['invocation-invalid']);
  });

  it('reads the input of account rules deployed before plivoAccount during the upgrade, never an AWS account id', async () => {
    const h = await harness({ config: CONFIG });
    const legacy = await h.invokeWith({ account: 'acme', time: new Date().toISOString() });
    expect(legacy.status).toBe('completed');
    expect(await h.storeOf('acme').getCursor()).not.toBeNull();

    await expect(
      h.invokeWith({ account: '123456789012', time: new Date().toISOString() }),
    ).rejects.toMatchObject({
      name: 'InvocationError',
      message: expect.stringContaining('account: is an AWS account id'),
    });
    expect(await h.storeOf('123456789012').listRuns(5)).toEqual([]);
  });

  it('an account without a credentials secret cannot start, and its health says so under its name', async () => {
    const h = await harness({
      config: { ...CONFIG, operations: { failingAlertMinutes: 5 } },
      secretsOnly: true,
    });

    await expect(h.invoke('acme')).rejects.toThrow(/No Plivo credentials for account "acme"/);
    expect(h.ops.sent.map((m) => [m.subject, m.attributes.account])).toEqual([
      ['[it/acme CRITICAL] alerter not working: plivo-credentials-missing', 'acme'],
    ]);
    expect(h.ops.sent[0]?.text).toContain('aws secretsmanager put-secret-value');
    expect((await h.storeOf('acme').getHealth())?.status).toBe('failing');
    expect(await h.store.getHealth()).toBeNull();
  });
});
