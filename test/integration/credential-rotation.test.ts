/**
 * A Plivo token rotated under a warm Lambda container: the handler as deployed, reading its
 * credentials from Secrets Manager (mocked), against the Plivo sandbox over HTTP and dynalite.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { JsonLogger } from '../../functions/adapters/logging/json-logger';
import { CREDENTIALS_MAX_AGE_SECONDS } from '../../functions/adapters/secrets/plivo-credentials';
import { localLambdaContext } from '../../functions/poller/local-context';
import { createPollHandler } from '../../functions/poller/handler';
import { type PlivoSandbox, startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import { generateTraffic } from '../../sandbox/traffic';
import { type Dynalite, makeTestTable, startDynalite } from '../support/dynalite';
import { stackScheduleInput } from '../support/eventbridge';
import { RecordingNotifier } from '../support/pipeline';
import { tempDir } from '../support/temp-dir';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zentrunk/plivo-AbCdEf';
const AUTH_ID = 'MAROTATIONTEST00000001';
const OLD_TOKEN = 'old-token-rotation-3b9d0e11';
const NEW_TOKEN = 'new-token-rotation-7f2c55e0';
const AWS_KEYS = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

// Every SecretsManagerClient in the process, so the tests hold whichever client the runtime uses.
const secretsManager = mockClient(SecretsManagerClient);
let secret = { authId: AUTH_ID, authToken: OLD_TOKEN };
/** Secret reads still to fail, as Secrets Manager does when it throttles. */
let failingReads = 0;
const secretReads = () => secretsManager.commandCalls(GetSecretValueCommand).length;

let dynamo: Dynalite;
let sandbox: PlivoSandbox;
let configPath: string;
const savedEnv = new Map(AWS_KEYS.map((k) => [k, process.env[k]]));

beforeAll(async () => {
  dynamo = await startDynalite();
  const now = Date.now();
  sandbox = await startPlivoSandbox({
    authId: AUTH_ID,
    authToken: OLD_TOKEN,
    // A few minutes of calls with incidents: every run has some Plivo work, and it is quick.
    calls: generateTraffic({
      seed: 8003,
      from: new Date(now - 40 * 60_000),
      to: new Date(now - 34 * 60_000),
      callsPerMinute: 2,
      incidents: 'all',
    }),
  });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  configPath = join(tempDir('zentrunk-rotation-'), 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      plivo: { maxRequestsPer5s: 300 },
      notifications: { deploymentName: 'it' },
      // Operations hear of the first failed run: each failure below is visible at once.
      operations: { failingAlertMinutes: 5 },
    }),
  );
});

afterAll(async () => {
  await sandbox.close();
  await dynamo.close();
  for (const [k, v] of savedEnv) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

beforeEach(() => {
  sandbox.resetRequests();
  sandbox.setCredentials(AUTH_ID, OLD_TOKEN);
  secret = { authId: AUTH_ID, authToken: OLD_TOKEN };
  failingReads = 0;
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).callsFake(() => {
    if (failingReads > 0) {
      failingReads -= 1;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
    return { SecretString: JSON.stringify(secret) };
  });
});

afterEach(() => jest.useRealTimers());

/** The token is changed in Plivo's console and the secret updated with it (the documented rotation). */
function rotate(): void {
  sandbox.setCredentials(AUTH_ID, NEW_TOKEN);
  secret = { authId: AUTH_ID, authToken: NEW_TOKEN };
}

/** Moves Date (only) past the secret's maxAge; HTTP, timers and the SDK keep running for real. */
function useSimulatedDate(): () => void {
  jest.useFakeTimers({
    advanceTimers: true,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  return () => jest.setSystemTime(Date.now() + (CREDENTIALS_MAX_AGE_SECONDS + 1) * 1000);
}

/** One warm container: the same handler invoked again and again. */
async function warmHandler(options: { config?: string; accountSecretArns?: Record<string, string> } = {}) {
  const { tableName } = await makeTestTable(dynamo.endpoint);
  const logs: string[] = [];
  const alerts = new RecordingNotifier();
  const ops = new RecordingNotifier();
  const handler = createPollHandler({
    env: {
      PLIVO_API_BASE_URL: sandbox.baseUrl,
      PLIVO_CREDENTIALS_SECRET_ARN: SECRET_ARN,
      STATE_TABLE_NAME: tableName,
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:unused',
      ALERT_CONFIG_FILE: options.config ?? configPath,
      ...(options.accountSecretArns
        ? { PLIVO_ACCOUNT_SECRET_ARNS: JSON.stringify(options.accountSecretArns) }
        : {}),
    },
    secretsManager: new SecretsManagerClient({}),
    notifier: alerts,
    opsNotifier: ops,
    logger: new JsonLogger({ write: (l) => logs.push(l) }),
    writeMetrics: () => {},
  });
  const invoke = (account?: string) =>
    handler(stackScheduleInput(account ?? 'default'), localLambdaContext({ timeoutMs: 240_000 }));
  /** The HTTP statuses Plivo answered during `run`. */
  const plivoStatuses = async <T>(run: () => Promise<T>): Promise<{ result: T; statuses: number[] }> => {
    const from = sandbox.requests.length;
    const result = await run();
    return { result, statuses: sandbox.requests.slice(from).map((r) => r.status ?? 0) };
  };
  const messages = () => logs.map((l) => JSON.parse(l).message as string);
  const printed = () => [...logs, ...ops.sent.map((m) => `${m.subject}${m.text}${m.shortText}`)].join('\n');
  return { invoke, plivoStatuses, messages, printed, alerts, ops };
}

describe('a Plivo token rotated under a warm container', () => {
  it('is picked up by the next run: the rejection makes it re-read the secret and run again', async () => {
    const h = await warmHandler();
    expect((await h.invoke()).status).toBe('completed');
    expect(h.alerts.sent.length).toBeGreaterThan(0);
    expect(secretReads()).toBe(1);

    rotate();
    const { result, statuses } = await h.plivoStatuses(() => h.invoke());

    expect(result.status).toBe('completed');
    // The old token was refused once, then everything went through with the new one.
    expect(statuses[0]).toBe(401);
    expect(statuses.slice(1)).toContain(200);
    expect(statuses.slice(1)).not.toContain(401);
    expect(secretReads()).toBe(2);
    expect(h.messages()).toContain('The Plivo credentials changed; using the new ones');
    // No run failed, so operations heard nothing.
    expect(h.ops.sent).toEqual([]);
    expect(h.printed()).not.toContain(OLD_TOKEN);
    expect(h.printed()).not.toContain(NEW_TOKEN);

    // Later runs use the new token from the start.
    expect((await h.plivoStatuses(() => h.invoke())).statuses).not.toContain(401);
  });

  it('reads the secret again after maxAge, while the old token still works', async () => {
    const afterMaxAge = useSimulatedDate();
    const h = await warmHandler();
    await h.invoke();

    // A new token in the secret; Plivo still accepts the old one.
    secret = { authId: AUTH_ID, authToken: NEW_TOKEN };
    const within = await h.plivoStatuses(() => h.invoke());
    expect(within.result.status).toBe('completed');
    expect(within.statuses).not.toContain(401);
    expect(secretReads()).toBe(1);

    afterMaxAge();
    sandbox.setCredentials(AUTH_ID, NEW_TOKEN);
    const after = await h.plivoStatuses(() => h.invoke());

    // Read because it was old, not because Plivo refused anything.
    expect(after.result.status).toBe('completed');
    expect(after.statuses).not.toContain(401);
    expect(secretReads()).toBe(2);
  });

  it('fails as "credentials rejected" when the secret still holds the refused token, reading it once per run', async () => {
    const h = await warmHandler();
    await h.invoke();
    // Rotated in Plivo's console, but nobody updated the secret.
    sandbox.setCredentials(AUTH_ID, NEW_TOKEN);

    const failed = await h.plivoStatuses(() => h.invoke().catch((e: Error) => e));

    expect(failed.result).toMatchObject({ name: 'PlivoAuthError' });
    expect((failed.result as Error).message).toMatch(/Plivo rejected the credentials \(HTTP 401/);
    expect(failed.statuses).toEqual([401]);
    expect(secretReads()).toBe(2);
    expect(h.ops.sent.map((m) => m.subject)).toEqual([
      '[it CRITICAL] alerter not working: plivo-credentials-rejected',
    ]);

    // Each failing run reads the secret once more, no more.
    await expect(h.invoke()).rejects.toMatchObject({ name: 'PlivoAuthError' });
    expect(secretReads()).toBe(3);
    expect(h.printed()).not.toContain(OLD_TOKEN);
  });

  it('fails visibly when Secrets Manager cannot be read after a rejection, and the next run recovers', async () => {
    const h = await warmHandler();
    await h.invoke();
    rotate();
    failingReads = 1;

    const error = await h.invoke().catch((e: Error) => e);

    expect(error).toMatchObject({ name: 'CredentialsError' });
    expect((error as Error).message).toBe(
      'Plivo rejected the credentials, and reading them again (to pick up a rotated token) failed: ' +
        `Cannot read the Plivo credentials secret ${SECRET_ARN}: ThrottlingException: Rate exceeded`,
    );
    expect(h.ops.sent).toHaveLength(1);
    expect(h.ops.sent[0]?.subject).toBe('[it CRITICAL] alerter not working: plivo-credentials-rejected');
    expect(h.ops.sent[0]?.text).toContain('ThrottlingException: Rate exceeded');

    expect((await h.invoke()).status).toBe('completed');
    expect(h.ops.sent.map((m) => m.attributes.state)).toEqual(['firing', 'resolved']);
    expect(h.printed()).not.toContain(NEW_TOKEN);
  });

  it('keeps polling with the token it has when a re-read after maxAge fails', async () => {
    const afterMaxAge = useSimulatedDate();
    const h = await warmHandler();
    await h.invoke();
    afterMaxAge();
    failingReads = 1;

    expect((await h.invoke()).status).toBe('completed');
    expect(secretReads()).toBe(2);
    expect(h.messages()).toContain('Could not re-read the Plivo credentials; using the ones read before');
    expect(h.ops.sent).toEqual([]);
  });
});

describe('several Plivo accounts in one warm container', () => {
  const ACME_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zentrunk/acme-GhIjKl';

  it('reads each account its own secret, and a rotation is re-read for the account Plivo refused only', async () => {
    let acmeSecret = { authId: AUTH_ID, authToken: OLD_TOKEN };
    secretsManager
      .on(GetSecretValueCommand, { SecretId: ACME_SECRET_ARN })
      .callsFake(() => ({ SecretString: JSON.stringify(acmeSecret) }));
    const readsOf = (arn: string) =>
      secretsManager.commandCalls(GetSecretValueCommand).filter((c) => c.args[0].input.SecretId === arn)
        .length;
    const config = join(tempDir('zentrunk-rotation-'), 'accounts.json');
    writeFileSync(
      config,
      JSON.stringify({
        plivo: { maxRequestsPer5s: 300 },
        notifications: { deploymentName: 'it' },
        operations: { failingAlertMinutes: 5 },
        accounts: [{ name: 'default' }, { name: 'acme', maxRequestsPer5s: 100 }],
      }),
    );
    const h = await warmHandler({ config, accountSecretArns: { acme: ACME_SECRET_ARN } });

    expect((await h.invoke()).status).toBe('completed');
    expect((await h.invoke('acme')).status).toBe('completed');
    expect([readsOf(SECRET_ARN), readsOf(ACME_SECRET_ARN)]).toEqual([1, 1]);

    // Rotated in Plivo; only the default account's secret was updated so far.
    rotate();
    expect((await h.invoke()).status).toBe('completed');
    expect([readsOf(SECRET_ARN), readsOf(ACME_SECRET_ARN)]).toEqual([2, 1]);

    // acme's run is refused, re-reads acme's secret (not the default's) and fails visibly,
    // its operations message naming the account.
    await expect(h.invoke('acme')).rejects.toMatchObject({ name: 'PlivoAuthError' });
    expect([readsOf(SECRET_ARN), readsOf(ACME_SECRET_ARN)]).toEqual([2, 2]);
    expect(h.ops.sent.map((m) => [m.subject, m.attributes.account])).toEqual([
      ['[it/acme CRITICAL] alerter not working: plivo-credentials-rejected', 'acme'],
    ]);
    // The default account is not disturbed by acme's failure.
    expect((await h.invoke()).status).toBe('completed');

    acmeSecret = { authId: AUTH_ID, authToken: NEW_TOKEN };
    expect((await h.invoke('acme')).status).toBe('completed');
    expect(h.ops.sent.map((m) => m.subject)).toEqual([
      '[it/acme CRITICAL] alerter not working: plivo-credentials-rejected',
      '[it/acme RESOLVED] alerter working again (was plivo-credentials-rejected)',
    ]);
    expect(h.printed()).not.toContain(OLD_TOKEN);
    expect(h.printed()).not.toContain(NEW_TOKEN);
  });
});
