/**
 * The Lambda handler exactly as deployed (environment contract, middy, runtime wiring, health)
 * against the Plivo sandbox over HTTP and dynalite, with only the notifiers swapped.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbStateStore } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../../functions/adapters/logging/json-logger';
import { createPollHandler } from '../../functions/poller/handler';
import { type PlivoSandbox, startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import { demoTraffic } from '../../sandbox/traffic';
import { type Dynalite, makeTestTable, startDynalite, testDocumentClient } from '../support/dynalite';
import { RecordingNotifier } from '../support/pipeline';

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
  configDir = mkdtempSync(join(tmpdir(), 'zentrunk-handler-'));
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

async function harness(options: { token?: string; config?: unknown; tableName?: string } = {}) {
  const tableName = options.tableName ?? (await makeTestTable(dynamo.endpoint)).tableName;
  const logs: string[] = [];
  const metrics: string[] = [];
  const alerts = new RecordingNotifier();
  const ops = new RecordingNotifier();
  const env = {
    PLIVO_API_BASE_URL: sandbox.baseUrl,
    PLIVO_AUTH_ID: AUTH_ID,
    PLIVO_AUTH_TOKEN: options.token ?? AUTH_TOKEN,
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
  const invoke = () =>
    handler(
      { 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString() },
      { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 240_000 - (Date.now() - started) },
    );
  const store = new DynamoDbStateStore({
    tableName,
    client: testDocumentClient(dynamo.endpoint),
  });
  return { invoke, logs, metrics, alerts, ops, store, tableName };
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
