/**
 * The stack as a user deploys it, run as AWS would run it: for each shipped config (and one with
 * several Plivo accounts), `cdk synth`'s template and bundled asset; every EventBridge rule that
 * targets the poller delivers the event it would deliver (built from the template: the target's
 * Input, its InputTransformer filled from AWS's documented scheduled event, or that event
 * itself); the bundle runs in a fresh Node 24 process whose environment is only the template's
 * variables plus what Lambda sets; Plivo credentials live only in a Secrets Manager stand-in;
 * Plivo is the sandbox, DynamoDB is dynalite behind a recorder, SNS a recording stand-in.
 *
 * Asserted: every account's run succeeds and alerts, a second tick repeats nothing, the process
 * fits the function's memory, no secret reaches a log line or a message, and every AWS action
 * the runs made is allowed to the function's role on the resource it was made on.
 *
 * Lambda's variables: "Defined runtime environment variables" in the AWS Lambda Developer Guide
 * (AWS_REGION, AWS_DEFAULT_REGION, AWS_EXECUTION_ENV, AWS_LAMBDA_FUNCTION_NAME,
 * AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_INITIALIZATION_TYPE,
 * AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR, _HANDLER, TZ,
 * LANG, PATH, NODE_PATH) and, with JSON logging, AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL
 * ("Configuring advanced logging controls").
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { REPO_ROOT } from '../../lib/project-paths';
import { type PlivoSandbox, startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import { generateTraffic } from '../../sandbox/traffic';
import {
  allows,
  type CfnTemplate,
  type DeployedStack,
  deployStack,
  type RequestContext,
  type Statement,
  statementsFor,
} from '../support/cloudformation';
import { type AwsCall, type AwsStandIns, forwardRequest, startAwsStandIns } from '../support/aws-stand-ins';
import { type Dynalite, startDynalite, testDynamoDbClient } from '../support/dynalite';
import { ruleTargetsOf } from '../support/eventbridge';
import type { HostMessage, HostReply } from '../support/lambda-host';
import { pollerAssetDir, REAL_POLLER_ENTRY, synth } from './synth';

const REGION = 'us-east-1';
const AWS_ACCOUNT = '123456789012';
const ACCESS_KEY = 'ASIAASDEPLOYEDTEST01';
const SECRET_KEY = 'as-deployed-aws-secret-key';
const SESSION_TOKEN = 'as-deployed-session-token';

let work: string;
let hostScript: string;
let dynamo: Dynalite;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'zentrunk-as-deployed-'));
  hostScript = join(work, 'lambda-host.mjs');
  await build({
    entryPoints: [join(REPO_ROOT, 'test', 'support', 'lambda-host.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    outfile: hostScript,
    logLevel: 'error',
  });
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Several Plivo sandboxes (one per account, each its own Auth ID) behind one base URL. */
async function startPlivoRouter(
  byAuthId: Map<string, PlivoSandbox>,
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const authId = /^\/v1\/Account\/([^/]+)\//.exec(req.url ?? '')?.[1] ?? '';
    const target = new URL(byAuthId.get(authId)?.baseUrl ?? [...byAuthId.values()][0]?.baseUrl ?? '');
    forwardRequest(req, res, target);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The table as CloudFormation creates it from the template (the CreateTable part of it). */
async function createTableFromTemplate(template: CfnTemplate, stack: DeployedStack): Promise<string> {
  const [id, table] =
    Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table') ?? [];
  if (!id || !table?.Properties) throw new Error('the template has no table');
  const p = table.Properties;
  const input = {
    TableName: stack.ref(id),
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    BillingMode: p.BillingMode ?? 'PROVISIONED',
    ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
    ...(p.LocalSecondaryIndexes ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes } : {}),
    ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput } : {}),
  } as CreateTableCommandInput;
  const client = testDynamoDbClient(dynamo.endpoint);
  await client.send(new CreateTableCommand(input));
  client.destroy();
  return input.TableName as string;
}

interface Container {
  invoke(event: unknown): Promise<Extract<HostReply, { type: 'result' }>>;
  output(): string;
  close(): void;
}

async function startContainer(env: Record<string, string>, timeoutMs: number): Promise<Container> {
  let output = '';
  const child: ChildProcess = fork(hostScript, [], {
    env,
    cwd: env.LAMBDA_TASK_ROOT,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const next = () =>
    new Promise<HostReply>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`the Lambda host exited (${code}): ${output}`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as HostReply);
      });
    });
  const ready = await next();
  if (ready.type !== 'ready') throw new Error(`the bundle did not load: ${JSON.stringify(ready)}\n${output}`);
  return {
    async invoke(event) {
      const reply = next();
      child.send({ type: 'invoke', event, timeoutMs } satisfies HostMessage);
      const answer = await reply;
      if (answer.type !== 'result') throw new Error(`unexpected reply ${JSON.stringify(answer)}`);
      return answer;
    },
    output: () => output,
    close: () => {
      child.send({ type: 'exit' } satisfies HostMessage);
    },
  };
}

const SHIPPED = ['dev', 'prod'].map((stage) => ({
  name: `config/${stage}.json`,
  stage,
  config: join(REPO_ROOT, 'config', `${stage}.json`) as string | Record<string, unknown>,
}));
const devConfig = JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'dev.json'), 'utf8')) as Record<
  string,
  unknown
>;
const CASES = [
  ...SHIPPED,
  {
    name: 'config/dev.json with accounts acme and beta',
    stage: 'dev',
    config: { ...devConfig, accounts: [{ name: 'acme' }, { name: 'beta' }] },
  },
];

/** The dedup key and state of a published alert (its machine JSON rides in the SNS body). */
function keyOf(message: string): string {
  const dedup = /\\?"dedupKey\\?":\s*\\?"([^"\\]+)/.exec(message)?.[1] ?? '?';
  return dedup;
}

describe.each(CASES)('as deployed: $name', ({ config, stage }) => {
  let template: CfnTemplate;
  let stack: DeployedStack;
  let functionId: string;
  let fn: {
    Environment: { Variables: Record<string, unknown> };
    MemorySize: number;
    Timeout: number;
    Handler: string;
    Role: unknown;
  };
  let assetDir: string;

  beforeAll(() => {
    const synthesized = synth({ config, pollerEntry: REAL_POLLER_ENTRY, stage });
    template = synthesized.template.toJSON() as CfnTemplate;
    // Each case its own physical names (one dynalite serves them all).
    stack = deployStack(template, {
      region: REGION,
      accountId: AWS_ACCOUNT,
      stackName: `${synthesized.stack.stackName}-${randomUUID().slice(0, 8)}`,
    });
    const functions = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Runtime === 'nodejs24.x',
    );
    if (functions.length !== 1)
      throw new Error(`expected one Node.js 24 function, found ${functions.length}`);
    functionId = (functions[0] as [string, unknown])[0];
    fn = (functions[0] as unknown as [string, { Properties: typeof fn }])[1].Properties;
    assetDir = pollerAssetDir(synthesized);
  });

  it('alerts once per account from every schedule rule, within its memory and its role', async () => {
    const variables = stack.resolve(fn.Environment.Variables) as Record<string, string>;
    const tableName = await createTableFromTemplate(template, stack);
    expect(variables.STATE_TABLE_NAME).toBe(tableName);

    // Each account's credentials, only in its secret.
    const secretOf = new Map<string, string>();
    if (variables.PLIVO_CREDENTIALS_SECRET_ARN)
      secretOf.set('default', variables.PLIVO_CREDENTIALS_SECRET_ARN);
    for (const [name, arn] of Object.entries(
      JSON.parse(variables.PLIVO_ACCOUNT_SECRET_ARNS ?? '{}') as Record<string, string>,
    )) {
      secretOf.set(name, arn);
    }
    const topicKeys: Record<string, string> = {};
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::SNS::Topic' || r.Properties?.KmsMasterKeyId === undefined) continue;
      const key = stack.resolveString(r.Properties.KmsMasterKeyId);
      topicKeys[stack.ref(id)] = key.startsWith('arn:')
        ? key
        : `arn:aws:kms:${REGION}:${AWS_ACCOUNT}:key/${key}`;
    }
    const aws: AwsStandIns = await startAwsStandIns({
      region: REGION,
      accountId: AWS_ACCOUNT,
      dynamoDbEndpoint: dynamo.endpoint,
      topicKeys,
    });
    const sandboxes = new Map<string, PlivoSandbox>();
    const tokens: string[] = [];
    const credentials = new Map<string, string>();
    let seed = 1;
    for (const [account, arn] of secretOf) {
      const authId = `MA${account.toUpperCase().padEnd(18, 'X')}`;
      const authToken = `token-${account}-${randomUUID()}`;
      tokens.push(authToken);
      credentials.set(arn, JSON.stringify({ authId, authToken }));
      // As `cdk deploy` leaves the secret: the placeholder Auth ID and a generated token.
      aws.putSecret(arn, JSON.stringify({ authId: 'REPLACE_ME', authToken: `generated-${randomUUID()}` }));
      // Every incident of the demo once, among half an hour of healthy calls, all ended by now.
      const now = Date.now();
      const calls = generateTraffic({
        seed: seed++,
        from: new Date(now - 30 * 60_000),
        to: new Date(now - 3 * 60_000),
        callsPerMinute: 1,
        incidents: 'all',
      });
      sandboxes.set(authId, await startPlivoSandbox({ authId, authToken, calls }));
    }
    const plivo = await startPlivoRouter(sandboxes);

    const functionName = stack.ref(functionId);
    const env: Record<string, string> = {
      // The template's environment, with Plivo's address pointed at the sandbox.
      ...variables,
      PLIVO_API_BASE_URL: plivo.baseUrl,
      // What Lambda sets.
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.MemorySize),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/03/[$LATEST]0123456789abcdef0123456789abcdef',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'INFO',
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      AWS_SESSION_TOKEN: SESSION_TOKEN,
      LAMBDA_TASK_ROOT: assetDir,
      LAMBDA_RUNTIME_DIR: dirname(process.execPath),
      _HANDLER: fn.Handler,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: dirname(process.execPath),
      NODE_PATH: assetDir,
      // AWS's endpoints here are the stand-ins.
      ...aws.env,
    };
    expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN']));

    const targets = ruleTargetsOf(template, stack.resolve, stack.getAtt(functionId, 'Arn'), {
      region: REGION,
      accountId: AWS_ACCOUNT,
    });
    expect(targets).toHaveLength(secretOf.size);
    const container = await startContainer(env, fn.Timeout * 1000);
    try {
      const tick = async () => {
        const results = [];
        for (const target of targets) {
          const before = aws.published.length;
          const reply = await container.invoke(target.eventAt(new Date()));
          results.push({ target, reply, published: aws.published.slice(before) });
        }
        return results;
      };
      // Deployed, the secrets not yet set: each run fails before Plivo is asked, saying what to
      // do, and is counted where the account's alarms look (its PollFailed metric).
      const unset = await tick();
      for (const { reply } of unset) {
        expect(reply.error).toMatchObject({
          name: 'CredentialsMissingError',
          message: expect.stringContaining('placeholder'),
        });
      }
      const emf = container
        .output()
        .split('\n')
        .filter((line) => line.includes('"PollFailed"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(emf.map((m) => [m.Account ?? 'default', m.PollFailed]).sort()).toEqual(
        [...secretOf.keys()].map((a) => [a, 1]).sort(),
      );
      expect(aws.published).toEqual([]);
      expect([...sandboxes.values()].every((sandbox) => sandbox.requests.length === 0)).toBe(true);

      // The secrets set (while the container is warm): the next tick polls.
      for (const [arn, value] of credentials) aws.putSecret(arn, value);
      const first = await tick();
      for (const { target, reply, published } of first) {
        expect({ rule: target.ruleLogicalId, error: reply.error }).toEqual({
          rule: target.ruleLogicalId,
          error: null,
        });
        expect(reply.result).toMatchObject({ status: 'completed' });
        expect(published.length).toBeGreaterThan(0);
      }
      // Each account alerted, and its alerts name it (the default account's name none).
      const named = new Set(aws.published.map((m) => m.attributes.account ?? 'default'));
      expect(named).toEqual(new Set(secretOf.keys()));

      const sentFirst = aws.published.length;
      const second = await tick();
      for (const { reply } of second) {
        expect(reply.error).toBeNull();
        expect(reply.result).toMatchObject({ status: 'completed' });
      }
      // Nothing published twice: no alert of the first tick again, no duplicate at all.
      const keys = aws.published.map(
        (m) => `${m.attributes.account ?? ''}|${keyOf(m.message)}|${m.attributes.state ?? ''}|${m.subject}`,
      );
      expect(keys.length - new Set(keys).size).toBe(0);
      // A second tick may open what needed two evaluations (windowed rules), never resend.
      expect(aws.published.slice(sentFirst).map((m) => keyOf(m.message))).not.toEqual(
        expect.arrayContaining(
          aws.published
            .slice(0, sentFirst)
            .map((m) => keyOf(m.message))
            .slice(0, 1),
        ),
      );

      // The process fits the function's memory.
      const peak = Math.max(...[...first, ...second].map((r) => r.reply.maxRssMb));
      expect(peak).toBeLessThan(fn.MemorySize);

      // No secret in a log line or a message.
      const everything = container.output() + JSON.stringify(aws.published);
      for (const secret of [...tokens, SECRET_KEY, SESSION_TOKEN]) expect(everything).not.toContain(secret);

      // Every AWS action the runs made is allowed to the role on the resource it was made on.
      const roleId = (fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = statementsFor(template, stack, roleId);
      const request = (c: AwsCall): RequestContext => ({
        roleArn: stack.getAtt(roleId, 'Arn'),
        accountId: AWS_ACCOUNT,
        viaService: c.viaService,
      });
      const allowed = (sts: Statement[], c: AwsCall) => allows(sts, c.action, c.resource, request(c));
      const made = [...new Map(aws.calls.map((c) => [`${c.action} ${c.resource}`, c])).values()];
      expect(made.length).toBeGreaterThan(3);
      const denied = made.filter((c) => !allowed(statements, c));
      expect(denied).toEqual([]);
      // The check can fail: without the topic's key grant, publishing is refused.
      const withoutKms = statements.map((st) => ({
        ...st,
        actions: st.actions.filter((a) => !a.startsWith('kms:')),
      }));
      const publishes = made.filter((c) => c.action === 'sns:Publish');
      expect(publishes.length).toBeGreaterThan(0);
      // (Every shipped layout encrypts its topics with a key of its own.)
      expect(Object.keys(topicKeys).length).toBeGreaterThan(0);
      expect(made.filter((c) => !allowed(withoutKms, c)).map((c) => c.action)).toEqual(
        expect.arrayContaining(['kms:GenerateDataKey', 'kms:Decrypt']),
      );
      // ...and a topic policy that denies publishing, or a key policy that does not hand the key
      // to IAM (the account root), refuses it too, whatever the role allows.
      const topicDeny: Statement = {
        effect: 'Deny',
        actions: ['sns:Publish'],
        resources: [],
        principals: ['*'],
        on: (publishes[0] as AwsCall).resource,
        in: 'test',
      };
      expect(allowed([...statements, topicDeny], publishes[0] as AwsCall)).toBe(false);
      const keyCall = made.find((c) => c.action === 'kms:GenerateDataKey') as AwsCall;
      const noRootKey = statements.filter(
        (st) => !(st.on === keyCall.resource && st.principals?.some((p) => p.endsWith(':root'))),
      );
      expect(allowed(noRootKey, keyCall)).toBe(false);
    } finally {
      container.close();
      await plivo.close();
      for (const sandbox of sandboxes.values()) await sandbox.close();
      await aws.close();
    }
  });
});
