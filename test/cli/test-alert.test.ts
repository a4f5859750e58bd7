/**
 * `test-alert` through the real SNS client against a local stand-in for SNS's HTTP API
 * (AWS_ENDPOINT_URL_SNS), so the request the topic gets is the one AWS would get.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_ACCOUNTS, runCommand } from '../support/cli';
import { tempDir } from '../support/temp-dir';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:zentrunk-alerts-dev-AlertTopic';

interface Answer {
  status: number;
  body: string;
}

const published = (messageId: string): Answer => ({
  status: 200,
  body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`,
});

/** SNS's query protocol on 127.0.0.1: keeps each request's form, answers as told. */
let server: Server;
let endpoint: string;
let answer: Answer = published('m-1');
const received: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(new URLSearchParams(body));
      res.writeHead(answer.status, { 'content-type': 'text/xml' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received.length = 0;
});

function env(): NodeJS.ProcessEnv {
  return {
    ...NO_ACCOUNTS,
    ALERT_TOPIC_ARN: TOPIC,
    AWS_ENDPOINT_URL_SNS: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
}

describe('test-alert', () => {
  it('publishes one notification marked as a test, with the attributes filter policies see', async () => {
    answer = published('m-42');
    const { code, stdout, stderr } = await runCommand(
      ['test-alert', '--severity', 'warning', '--author', 'alice'],
      {
        env: env(),
      },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(`Sent a test notification to SNS topic ${TOPIC}`);
    expect(stdout).toContain('  message id  m-42');
    expect(stdout).toContain('  attributes  severity=warning rule=test-alert state=firing test=true');
    expect(stdout).toContain(`aws sns list-subscriptions-by-topic --topic-arn ${TOPIC}`);

    expect(received).toHaveLength(1);
    const form = received[0] as URLSearchParams;
    expect(form.get('Action')).toBe('Publish');
    expect(form.get('TopicArn')).toBe(TOPIC);
    expect(form.get('Subject')).toBe(
      '[zentrunk-dev TEST WARNING] test notification from alice - no action needed',
    );
    expect(form.get('MessageStructure')).toBe('json');
    const bodiesByProtocol = JSON.parse(form.get('Message') ?? '{}') as Record<string, string>;
    expect(bodiesByProtocol.email).toMatch(
      /^TEST: a test notification from zentrunk-alerts \(zentrunk-dev\), sent by alice/,
    );
    expect(bodiesByProtocol.sms).toBe(
      'TEST zentrunk-dev: test notification (warning) from alice, no action needed',
    );
    expect(JSON.parse(bodiesByProtocol.sqs ?? '{}')).toMatchObject({
      kind: 'test',
      test: true,
      severity: 'warning',
    });
    const attributes = new Map<string, string>();
    for (let i = 1; form.get(`MessageAttributes.entry.${i}.Name`); i += 1) {
      attributes.set(
        form.get(`MessageAttributes.entry.${i}.Name`) as string,
        form.get(`MessageAttributes.entry.${i}.Value.StringValue`) as string,
      );
    }
    expect(Object.fromEntries(attributes)).toEqual({
      severity: 'warning',
      rule: 'test-alert',
      state: 'firing',
      test: 'true',
    });
  });

  it('exits 1 and says what to check when the topic does not exist', async () => {
    answer = {
      status: 404,
      body: '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>r-2</RequestId></ErrorResponse>',
    };
    const { code, stdout, stderr } = await runCommand(['test-alert'], { env: env() });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^error: Publishing alert zentrunk-alerts:test#.* failed: NotFoundException: Topic does not exist/,
    );
    expect(stderr).toContain(
      "No such topic: check ALERT_TOPIC_ARN (the stack's AlertTopicArn output) and its region.",
    );
  });

  it('prints the notification here without a topic, and refuses a value that is not a topic ARN', async () => {
    const local = await runCommand([
      'test-alert',
      '--rule',
      'packet-loss-spike',
      '--trunk',
      'acme.zt.plivo.com',
    ]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain(
      'No ALERT_TOPIC_ARN (or --topic): the test notification is printed here instead.',
    );
    expect(local.stdout).toContain(
      '[zentrunk-dev TEST CRITICAL] test notification from tester - no action needed',
    );
    expect(local.stdout).toMatch(
      / {2}rule {9}packet-loss-spike\n {2}state {8}firing\n {2}test {9}true\n {2}trunk_domain acme\.zt\.plivo\.com/,
    );

    const bad = await runCommand(['test-alert', '--topic', 'zentrunk-alerts-dev']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: Not an SNS topic ARN: zentrunk-alerts-dev');
    expect((await runCommand(['test-alert', '--rule', 'nope'])).code).toBe(2);
    expect(received).toEqual([]);
  });

  it("--account: sent as that account's alerts are, for subscriptions filtered by account", async () => {
    answer = published('m-7');
    const config = join(tempDir('zentrunk-test-alert-'), 'accounts.json');
    writeFileSync(
      config,
      JSON.stringify({ notifications: { deploymentName: 'zentrunk-prod' }, accounts: [{ name: 'acme' }] }),
    );
    const sent = await runCommand(
      ['test-alert', '--account', 'acme', '--author', 'alice', '--config', config],
      {
        env: env(),
      },
    );
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(
      '  attributes  severity=critical rule=test-alert state=firing test=true account=acme',
    );
    const form = received[0] as URLSearchParams;
    expect(form.get('Subject')).toBe(
      '[zentrunk-prod/acme TEST CRITICAL] test notification from alice - no action needed',
    );
    const bodies = JSON.parse(form.get('Message') as string) as Record<string, string>;
    expect(bodies.email?.startsWith('Plivo account: acme\n')).toBe(true);
    expect(JSON.parse(bodies.sqs as string).account).toBe('acme');

    const unknown = await runCommand(['test-alert', '--account', 'initech', '--config', config], {
      env: env(),
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('watches no account "initech" (it watches acme)');
    expect(received).toHaveLength(1);
  });
});
