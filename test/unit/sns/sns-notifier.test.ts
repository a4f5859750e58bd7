import {
  AuthorizationErrorException,
  InternalErrorException,
  InvalidParameterException,
  InvalidParameterValueException,
  InvalidSecurityException,
  KMSAccessDeniedException,
  KMSDisabledException,
  KMSInvalidStateException,
  KMSNotFoundException,
  KMSOptInRequired,
  KMSThrottlingException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  ThrottledException,
  ValidationException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Readable } from 'node:stream';
import {
  AlertPublishError,
  SnsNotifier,
  isMessageRejection,
  snsSubject,
} from '../../../functions/adapters/sns/sns-notifier';
import { NotificationRejectedError } from '../../../functions/core/errors';
import type { AlertMessage } from '../../../functions/core/ports';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:zentrunk-alerts';
const client = new SNSClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const sns = mockClient(client);

function notifier() {
  return new SnsNotifier({ topicArn: TOPIC, client });
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

  it("sends once: retries are the SDK client's alone (no second layer of attempts)", async () => {
    sns
      .on(PublishCommand)
      .rejectsOnce(new ThrottledException({ message: 'Rate exceeded', ...meta }))
      .resolves({ MessageId: 'mid-2' });
    const error = await notifier()
      .publish(message())
      .catch((e: unknown) => e);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(error).toBeInstanceOf(AlertPublishError);
    expect(error).not.toBeInstanceOf(NotificationRejectedError);
    expect((error as Error).message).toBe(
      `Publishing alert hangup-rate:abc123 to SNS topic ${TOPIC} failed: ThrottledException: Rate exceeded`,
    );
  });

  it('reports how many attempts the SDK client made', async () => {
    sns.on(PublishCommand).rejects(
      new InternalErrorException({
        message: 'oops',
        $metadata: { httpStatusCode: 500, attempts: 4, totalRetryDelay: 900 },
      }),
    );
    await expect(notifier().publish(message())).rejects.toMatchObject({
      name: 'AlertPublishError',
      code: 'InternalErrorException',
      attempts: 4,
      message: `Publishing alert hangup-rate:abc123 to SNS topic ${TOPIC} failed after 4 attempts: InternalErrorException: oops`,
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('over a real SDK client, a throttled publish is attempted maxAttempts times in all, not squared', async () => {
    let requests = 0;
    const throttling = new SNSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 3,
      // Answers every request like a throttled SNS (query protocol, HTTP 400 Throttling).
      requestHandler: {
        handle: async () => {
          requests += 1;
          return {
            response: {
              statusCode: 400,
              headers: { 'content-type': 'text/xml' },
              body: Readable.from([
                Buffer.from(
                  '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>' +
                    '<Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
                ),
              ]),
            },
          };
        },
      },
    });
    const error = await new SnsNotifier({ topicArn: TOPIC, client: throttling })
      .publish(message())
      .catch((e: unknown) => e);
    expect(requests).toBe(3);
    expect(error).toBeInstanceOf(AlertPublishError);
    expect(error).toMatchObject({ attempts: 3 });
    expect((error as Error).message).toMatch(/failed after 3 attempts: Throttling.*Rate exceeded/);
  });
});

describe('SNS errors: this message refused for good, or every message failing', () => {
  const rejectedFor = async (error: Error) => {
    sns.reset();
    sns.on(PublishCommand).rejects(error);
    const thrown = await notifier()
      .publish(message())
      .catch((e: unknown) => e);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    return thrown;
  };

  it.each([
    [
      'InvalidParameterException',
      new InvalidParameterException({ message: 'Invalid parameter: Subject', ...meta }),
    ],
    [
      'InvalidParameterException (too long)',
      new InvalidParameterException({ message: 'Invalid parameter: Message too long', ...meta }),
    ],
    [
      'InvalidParameterValueException',
      new InvalidParameterValueException({
        message: "The message attribute 'trunk_domain' must contain non-empty message attribute value",
        ...meta,
      }),
    ],
    [
      'ValidationException',
      new ValidationException({
        message: '1 validation error detected',
        Message: '1 validation error detected',
        ...meta,
      }),
    ],
    [
      'an unmodelled InvalidParameter code',
      Object.assign(new Error('Invalid parameter: Message Structure - JSON message body failed to parse'), {
        name: 'InvalidParameter',
        $metadata: { httpStatusCode: 400 },
      }),
    ],
    [
      'a 413 (request too large)',
      Object.assign(new Error('Request Entity Too Large'), {
        name: 'Unknown',
        $metadata: { httpStatusCode: 413 },
      }),
    ],
    ['a message the SDK cannot encode', new URIError('URI malformed')],
  ])("%s is a NotificationRejectedError naming the code and SNS's words", async (_, error) => {
    const thrown = await rejectedFor(error);
    expect(thrown).toBeInstanceOf(NotificationRejectedError);
    expect(thrown).toMatchObject({ name: 'NotificationRejectedError', cause: error });
    expect(isMessageRejection(error)).toBe(true);
    const text = (thrown as Error).message;
    expect(text).toContain(`SNS topic ${TOPIC} rejected alert hangup-rate:abc123 for good: ${error.name}: `);
    expect(text).toContain(error.message.slice(0, 40));
  });

  it.each([
    ['NotFoundException (topic gone)', new NotFoundException({ message: 'Topic does not exist', ...meta })],
    [
      'AuthorizationErrorException',
      new AuthorizationErrorException({ message: 'User is not authorized to perform SNS:Publish', ...meta }),
    ],
    ['InvalidSecurityException', new InvalidSecurityException({ message: 'not signed with SigV4', ...meta })],
    ['KMSAccessDeniedException', new KMSAccessDeniedException({ message: 'access denied', ...meta })],
    ['KMSDisabledException', new KMSDisabledException({ message: 'key disabled', ...meta })],
    ['KMSNotFoundException', new KMSNotFoundException({ message: 'key not found', ...meta })],
    ['KMSInvalidStateException', new KMSInvalidStateException({ message: 'pending deletion', ...meta })],
    ['KMSThrottlingException', new KMSThrottlingException({ message: 'slow down', ...meta })],
    ['KMSOptInRequired', new KMSOptInRequired({ message: 'opt in', ...meta })],
    ['ThrottledException', new ThrottledException({ message: 'Rate exceeded', ...meta })],
    ['InternalErrorException', new InternalErrorException({ message: 'oops', ...meta })],
    [
      'an invalid TopicArn (every message)',
      new InvalidParameterException({ message: 'Invalid parameter: TopicArn', ...meta }),
    ],
    [
      'a FIFO topic without MessageGroupId (every message)',
      new InvalidParameterException({
        message: 'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
        ...meta,
      }),
    ],
    ['a network error', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a 503', Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } })],
  ])('%s is not: it stays an AlertPublishError, so the run fails visibly', async (_, error) => {
    const thrown = await rejectedFor(error);
    expect(thrown).toBeInstanceOf(AlertPublishError);
    expect(thrown).not.toBeInstanceOf(NotificationRejectedError);
    expect(isMessageRejection(error)).toBe(false);
    expect(thrown).toMatchObject({ topicArn: TOPIC, attempts: 1 });
  });

  it("keeps SNS's words to one bounded line in the error message", async () => {
    const thrown = await rejectedFor(
      new InvalidParameterException({ message: `Invalid parameter:\nMessage ${'x'.repeat(1000)}`, ...meta }),
    );
    const text = (thrown as Error).message;
    expect(text).not.toContain('\n');
    expect(text.length).toBeLessThan(500);
  });
});
