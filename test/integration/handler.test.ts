/**
 * The Lambda handler exactly as deployed (environment contract, middy, runtime wiring, health)
 * against the Plivo sandbox over HTTP and dynalite, with only the notifiers swapped.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbStateStore } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../../functions/adapters/logging/json-logger';
import { createPollHandler } from '../../functions/poller/handler';
import { type PlivoSandbox, startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import { demoTraffic } from '../../sandbox/traffic';
import { type Dynalite, makeTestTable, startDynalite, testDocumentClient } from '../support/dynalite';
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
  /** What EventBridge sends: its own event without accounts, the target's input with them. */
  const invoke = (account?: unknown) =>
    handler(
      account === undefined
        ? { 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString() }
        : { account, time: new Date().toISOString() },
      { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 240_000 - (Date.now() - started) },
    );
  const storeOf = (poller?: string) =>
    new DynamoDbStateStore({ tableName, client: testDocumentClient(dynamo.endpoint), poller });
  const store = storeOf();
  return { invoke, logs, metrics, alerts, ops, store, storeOf, tableName };
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

  it('refuses an account the config does not list: error log, PollFailed metric, Lambda error; nothing polled', async () => {
    const h = await harness({ config: CONFIG });
    const before = sandbox.requests.length;

    await expect(h.invoke('initech')).rejects.toMatchObject({
      name: 'UnknownAccountError',
      message: expect.stringContaining(
        'Unknown Plivo account "initech": the config watches "default", "acme"',
      ),
    });
    await expect(h.invoke({ name: 'acme' })).rejects.toMatchObject({ name: 'UnknownAccountError' });

    expect(sandbox.requests.length).toBe(before);
    const failed = h.metrics.map((l) => JSON.parse(l)).filter((m) => m.PollFailed === 1);
    expect(failed.map((m) => m.Account)).toEqual(['initech', 'invalid']);
    const errors = h.logs.map((l) => JSON.parse(l)).filter((l) => l.level === 'ERROR');
    expect(errors.map((l) => l.message)).toEqual([
      'Poll run for an unknown Plivo account: nothing polled',
      'Poll run for an unknown Plivo account: nothing polled',
    ]);
    expect(await h.storeOf('initech').listRuns(5)).toEqual([]);
    expect(await h.store.getCursor()).toBeNull();
  });

  it('without the default account in the list, an event that names no account is refused', async () => {
    const h = await harness({ config: { ...CONFIG, accounts: [{ name: 'acme' }] } });
    await expect(h.invoke()).rejects.toThrow(/names no Plivo account .* watches "acme"/);
    expect(h.alerts.sent).toEqual([]);
  });

  it('an account without a credentials secret cannot start, and its health says so under its name', async () => {
    const h = await harness({
      config: { ...CONFIG, operations: { failuresBeforeAlert: 1 } },
      secretsOnly: true,
    });

    await expect(h.invoke('acme')).rejects.toThrow(/No Plivo credentials for account "acme"/);
    expect(h.ops.sent.map((m) => [m.subject, m.attributes.account])).toEqual([
      ['[it/acme CRITICAL] alerter not working: config-invalid', 'acme'],
    ]);
    expect((await h.storeOf('acme').getHealth())?.status).toBe('failing');
    expect(await h.store.getHealth()).toBeNull();
  });
});
