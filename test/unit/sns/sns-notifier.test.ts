import {
  InternalErrorException,
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  AlertPublishError,
  SnsNotifier,
  isRetryablePublishError,
  snsSubject,
} from '../../../functions/adapters/sns/sns-notifier';
import type { AlertMessage } from '../../../functions/core/ports';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:zentrunk-alerts';
const client = new SNSClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const sns = mockClient(client);

let sleeps: number[];
function notifier(maxAttempts?: number) {
  sleeps = [];
  return new SnsNotifier({
    topicArn: TOPIC,
    client,
    maxAttempts,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

function message(overrides: Partial<AlertMessage> = {}): AlertMessage {
  return {
    dedupKey: 'hangup-rate:abc123',
    subject: '[prod] CRITICAL: failed calls 23% on trunk example',
    text: 'Failed calls: 23 %\nTrunk: example\n',
    shortText: 'CRITICAL failed calls 23% trunk example',
    json: { rule: 'hangup-rate', severity: 'critical', value: 0.23 },
    attributes: { severity: 'critical', rule: 'hangup-rate', trunk: '' },
    ...overrides,
  };
}

function sentInput() {
  const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
  if (!input) throw new Error('nothing published');
  return input;
}

const meta = { $metadata: {} };

beforeEach(() => {
  sns.reset();
});

describe('SnsNotifier.publish', () => {
  it('sends one JSON-structured message with a body per protocol', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-1' });
    const m = message();
    await expect(notifier().publish(m)).resolves.toEqual({ messageId: 'mid-1' });

    const input = sentInput();
    expect(input).toMatchObject({ TopicArn: TOPIC, MessageStructure: 'json', Subject: m.subject });
    const body = JSON.parse(input.Message ?? '') as Record<string, string>;
    const machine = JSON.stringify(m.json);
    expect(body).toEqual({
      default: machine,
      email: m.text,
      'email-json': machine,
      sms: m.shortText,
      sqs: machine,
      lambda: machine,
      http: machine,
      https: machine,
    });
  });

  it('turns attributes into String message attributes and skips empty values', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-1' });
    await notifier().publish(
      message({ attributes: { severity: 'critical', rule: 'hangup-rate', trunk: '', 'AWS.x': 'y' } }),
    );
    expect(sentInput().MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      rule: { DataType: 'String', StringValue: 'hangup-rate' },
    });
  });

  it('sanitises the subject: ASCII, one line, under 100 characters, never empty', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-1' });
    await notifier().publish(message({ subject: `Qualité\nbasse — ${'x'.repeat(200)}` }));
    const subject = sentInput().Subject ?? '';
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.length).toBeLessThan(100);
    expect(subject.startsWith('Qualite basse')).toBe(true);
    expect(snsSubject('\n\t ')).toBe('Zentrunk alert');
  });

  it('cleans what reaches each protocol: one-line attributes, a whole-character SMS, email without controls', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-1' });
    await notifier().publish(
      message({
        attributes: { severity: 'critical', trunk_domain: ' acme\n.zt.plivo.com\r', carrier: '\u2028' },
        shortText: `${'x'.repeat(159)}😀 and more\nlines`,
        text: 'What: a\r\u001b[2J\u2028b\nWhere: c\n',
      }),
    );
    const input = sentInput();
    expect(input.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      trunk_domain: { DataType: 'String', StringValue: 'acme .zt.plivo.com' },
    });
    const body = JSON.parse(input.Message ?? '') as Record<string, string>;
    expect(body.sms).toBe('x'.repeat(159));
    expect(body.email).toBe('What: a  [2J b\nWhere: c\n');
  });

  it('never sends an empty SMS', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-1' });
    await notifier().publish(message({ shortText: '\n\t' }));
    const body = JSON.parse(sentInput().Message ?? '') as Record<string, string>;
    expect(body.sms).toBe(message().subject);
  });

  it('keeps the message under the SNS size limit', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'mid-1' });
    await notifier().publish(
      message({ text: 'é'.repeat(200_000), json: { rule: 'r', details: 'y'.repeat(100_000) } }),
    );
    const input = sentInput();
    expect(Buffer.byteLength(input.Message ?? '')).toBeLessThan(256 * 1024);
    const body = JSON.parse(input.Message ?? '') as Record<string, string>;
    expect(body.email).toMatch(/truncated/);
    expect(JSON.parse(body.default ?? '')).toMatchObject({ dedupKey: 'hangup-rate:abc123', truncated: true });
  });

  it('retries throttling with growing, jittered backoff, then succeeds', async () => {
    sns
      .on(PublishCommand)
      .rejectsOnce(new ThrottledException({ message: 'Rate exceeded', ...meta }))
      .rejectsOnce(new InternalErrorException({ message: 'oops', ...meta }))
      .resolves({ MessageId: 'mid-3' });
    await expect(notifier(3).publish(message())).resolves.toEqual({ messageId: 'mid-3' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(125);
    expect(sleeps[0]).toBeLessThanOrEqual(250);
    expect(sleeps[1]).toBeGreaterThanOrEqual(250);
    expect(sleeps[1]).toBeLessThanOrEqual(500);
  });

  it('retries network errors', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    sns.on(PublishCommand).rejectsOnce(reset).resolves({ MessageId: 'mid-2' });
    await expect(notifier().publish(message())).resolves.toEqual({ messageId: 'mid-2' });
    expect(isRetryablePublishError(reset)).toBe(true);
  });

  it('does not retry a rejected parameter, and names the topic and the code', async () => {
    sns
      .on(PublishCommand)
      .rejects(new InvalidParameterException({ message: 'Invalid parameter: Subject', ...meta }));
    const error = await notifier()
      .publish(message())
      .catch((e: unknown) => e);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sleeps).toHaveLength(0);
    expect(error).toBeInstanceOf(AlertPublishError);
    expect(error).toMatchObject({ topicArn: TOPIC, code: 'InvalidParameterException', attempts: 1 });
    expect((error as Error).message).toBe(
      `Publishing alert hangup-rate:abc123 to SNS topic ${TOPIC} failed: InvalidParameterException: Invalid parameter: Subject`,
    );
  });

  it('does not retry a missing topic', async () => {
    sns.on(PublishCommand).rejects(new NotFoundException({ message: 'Topic does not exist', ...meta }));
    await expect(notifier().publish(message())).rejects.toMatchObject({ code: 'NotFoundException' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('gives up after maxAttempts on persistent throttling', async () => {
    sns.on(PublishCommand).rejects(new ThrottledException({ message: 'Rate exceeded', ...meta }));
    await expect(notifier(3).publish(message())).rejects.toThrow(
      `Publishing alert hangup-rate:abc123 to SNS topic ${TOPIC} failed after 3 attempts: ThrottledException: Rate exceeded`,
    );
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 3);
  });
});
