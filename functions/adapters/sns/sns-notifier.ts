import {
  PublishCommand,
  type MessageAttributeValue,
  type PublishCommandOutput,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { asciiSubject } from '../../core/alert-message';
import { NotificationRejectedError } from '../../core/errors';
import type { AlertMessage, Notifier } from '../../core/ports';
import { attributeValue, cutText, cutUtf8, plainLine, plainText } from '../../core/untrusted-text';

export interface SnsNotifierOptions {
  topicArn: string;
  /**
   * Sends each publish. Retries are the client's alone (its `maxAttempts`, standard retry
   * mode: throttling, 5xx and network errors, with backoff): the notifier sends once.
   */
  client: SNSClient;
}

/**
 * Publishing failed for a reason that concerns every message (topic gone, access denied, KMS,
 * throttling or SNS faults after the client's retries, the network): the run fails visibly.
 * Names the topic and SNS's error code so on-call can act.
 */
export class AlertPublishError extends Error {
  override name = 'AlertPublishError';
  constructor(
    message: string,
    readonly topicArn: string,
    readonly code: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** SNS's limit is 256 KiB for message, subject and attributes together; keep some headroom. */
const MAX_PUBLISH_BYTES = 256 * 1024 - 2048;
/** SNS accepts at most 10 message attributes per message. */
const MAX_ATTRIBUTES = 10;
const SMS_MAX = 160;
const FALLBACK_SUBJECT = 'Zentrunk alert';
const TRUNCATED_NOTE = '\n\n[truncated: the full alert was larger than SNS allows]';

/**
 * SNS error codes (with or without the SDK's "Exception" suffix) that mean a parameter of THIS
 * message is invalid: too long, an attribute SNS refuses, a body it cannot parse, an empty
 * message. Sending the same message again cannot succeed; another message may.
 */
const MESSAGE_REJECTION_CODES = new Set([
  'InvalidParameter',
  'InvalidParameterValue',
  'Validation',
  'ValidationError',
]);
/**
 * Parameters the same for every message of this notifier (the topic, FIFO settings): an
 * InvalidParameter about them concerns every alert, so it must fail the run, not drop one alert.
 */
const TOPIC_LEVEL_PARAMETERS = /TopicArn|TargetArn|PhoneNumber|MessageGroupId|MessageDeduplicationId|FIFO/i;
const DETAIL_MAX = 300;

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

function errorCode(error: unknown): string {
  const e = (error ?? {}) as AwsErrorShape;
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code; // ECONNRESET...
  return typeof e.name === 'string' && e.name !== 'Error' ? e.name : (e.code ?? 'UnknownError');
}

/** SNS's own words, on one line and bounded (they name parameters, never credentials). */
function errorDetail(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return cutText(plainLine(text).replace(/\s+/g, ' ').trim(), DETAIL_MAX, '...');
}

/**
 * Will SNS never accept this message, whatever the retries? True for an invalid parameter of the
 * message (InvalidParameter, InvalidParameterValue, ValidationException: e.g. "Message too
 * long", a bad message attribute), a request too large (413), or a message the SDK cannot even
 * encode. False for everything that concerns every message (NotFound, AuthorizationError,
 * InvalidSecurity, KMS*, throttling, 5xx, the network) and for an invalid topic-level parameter.
 */
export function isMessageRejection(error: unknown): boolean {
  const e = (error ?? {}) as AwsErrorShape;
  if (e.name === 'URIError') return true;
  if (e.$metadata?.httpStatusCode === 413) return true;
  const code = typeof e.name === 'string' ? e.name.replace(/Exception$/, '') : '';
  if (!MESSAGE_REJECTION_CODES.has(code)) return false;
  return !TOPIC_LEVEL_PARAMETERS.test(typeof e.message === 'string' ? e.message : '');
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Cuts text to at most `maxBytes` of UTF-8 without splitting a character, and says so. */
function truncateBytes(text: string, maxBytes: number): string {
  if (bytes(text) <= maxBytes) return text;
  return `${cutUtf8(text, Math.max(0, maxBytes - bytes(TRUNCATED_NOTE)))}${TRUNCATED_NOTE}`;
}

/**
 * Attribute names SNS accepts (letters, digits, `_ - .`, no reserved AWS/Amazon prefix); values
 * one short line (`attributeValue`) and non-empty. Anything else would make SNS reject the whole
 * alert, so it is dropped.
 */
function snsMessageAttributes(attributes: Record<string, string>): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  let count = 0;
  for (const [name, value] of Object.entries(attributes)) {
    if (count >= MAX_ATTRIBUTES) break;
    const clean = typeof value === 'string' ? attributeValue(value) : '';
    if (clean === '') continue;
    if (!/^[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{0,254}[A-Za-z0-9_-])?$/.test(name) || name.includes('..')) continue;
    if (/^(aws|amazon)\./i.test(name)) continue;
    out[name] = { DataType: 'String', StringValue: clean };
    count += 1;
  }
  return out;
}

/** SNS subjects must be ASCII, one line, under 100 characters, and not empty. */
export function snsSubject(subject: string): string {
  return asciiSubject(subject) || FALLBACK_SUBJECT;
}

/** The SMS: one line of at most 160 characters, never a broken character, never empty. */
export function smsText(message: AlertMessage): string {
  const line = plainLine(message.shortText).replace(/\s+/g, ' ').trim();
  return cutText(line, SMS_MAX) || snsSubject(message.subject);
}

/** The per-protocol bodies of a `MessageStructure: 'json'` publish. */
function structuredBody(message: AlertMessage, json: Record<string, unknown>, text: string): string {
  const machine = JSON.stringify(json);
  // Amazon Q reads the topic over HTTPS; queues and functions keep the machine form.
  const chat = message.chat && json === message.json ? JSON.stringify(message.chat) : machine;
  return JSON.stringify({
    default: chat,
    // Plain text: a control character (CR, NEL, ESC...) cannot forge a line or drive a terminal.
    email: plainText(text),
    'email-json': machine,
    sms: smsText(message),
    sqs: machine,
    lambda: machine,
    http: chat,
    https: chat,
  });
}

/**
 * The body, made to fit SNS's size limit: first the human text is shortened; if the
 * structured form alone is too large, it is replaced by a summary that still carries the
 * dedup key, so subscribers can correlate it.
 */
function fitBody(message: AlertMessage, budget: number): string {
  const summary = {
    dedupKey: message.dedupKey,
    subject: message.subject,
    shortText: message.shortText,
    truncated: true,
  };
  for (const json of [message.json, summary]) {
    const full = structuredBody(message, json, message.text);
    if (bytes(full) <= budget) return full;
    const overhead = bytes(structuredBody(message, json, ''));
    if (overhead + 1024 > budget) continue;
    // Escaping can grow the text inside the JSON, so shrink until the whole body fits.
    let room = budget - overhead;
    for (;;) {
      const body = structuredBody(message, json, truncateBytes(message.text, room));
      if (bytes(body) <= budget) return body;
      room = Math.floor(room * 0.9);
    }
  }
  return structuredBody(message, summary, truncateBytes(message.text, 1024));
}

export class SnsNotifier implements Notifier {
  private readonly topicArn: string;
  private readonly client: SNSClient;

  constructor(options: SnsNotifierOptions) {
    this.topicArn = options.topicArn;
    this.client = options.client;
  }

  /**
   * One send; the client retries what may pass (throttling, 5xx, network). Throws
   * `NotificationRejectedError` when SNS refuses this message for good (the use case can set
   * that one alert aside), `AlertPublishError` for anything else (the run fails visibly).
   */
  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    const subject = snsSubject(message.subject);
    const attributes = snsMessageAttributes(message.attributes);
    const attributeBytes = Object.entries(attributes).reduce(
      (sum, [name, value]) =>
        sum + bytes(name) + bytes(value.DataType ?? '') + bytes(value.StringValue ?? ''),
      0,
    );
    const command = new PublishCommand({
      TopicArn: this.topicArn,
      Subject: subject,
      MessageStructure: 'json',
      Message: fitBody(message, MAX_PUBLISH_BYTES - bytes(subject) - attributeBytes),
      MessageAttributes: Object.keys(attributes).length > 0 ? attributes : undefined,
    });

    let response: PublishCommandOutput;
    try {
      response = await this.client.send(command);
    } catch (error) {
      const code = errorCode(error);
      const detail = errorDetail(error);
      if (isMessageRejection(error)) {
        throw new NotificationRejectedError(
          `SNS topic ${this.topicArn} rejected alert ${message.dedupKey} for good: ${code}: ${detail}`,
          { cause: error },
        );
      }
      const attempts = (error as AwsErrorShape | null)?.$metadata?.attempts ?? 1;
      throw new AlertPublishError(
        `Publishing alert ${message.dedupKey} to SNS topic ${this.topicArn} failed` +
          `${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${code}: ${detail}`,
        this.topicArn,
        code,
        attempts,
        { cause: error },
      );
    }
    if (!response.MessageId) {
      throw new AlertPublishError(
        `SNS topic ${this.topicArn} accepted alert ${message.dedupKey} but returned no MessageId`,
        this.topicArn,
        'NoMessageId',
        response.$metadata.attempts ?? 1,
      );
    }
    return { messageId: response.MessageId };
  }
}
