import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import { asciiSubject } from '../../core/alert-message';
import type { AlertMessage, Notifier } from '../../core/ports';
import { attributeValue, cutText, cutUtf8, plainLine, plainText } from '../../core/untrusted-text';

export interface SnsNotifierOptions {
  topicArn: string;
  client: SNSClient;
  /** Publish attempts of our own, on top of the SDK's retries (default 3). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Publishing failed for good; names the topic and SNS's error code so on-call can act. */
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

const RETRYABLE_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'KMSThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalErrorException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

interface AwsErrorShape {
  name?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

function errorCode(error: unknown): string {
  const e = (error ?? {}) as AwsErrorShape;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  return typeof e.name === 'string' && e.name !== 'Error' ? e.name : (e.code ?? 'UnknownError');
}

/**
 * Only failures that may pass on their own are retried: throttling, SNS-side faults and the
 * network. A rejected parameter, a missing topic or a denied permission fails the same way
 * every time, so those are reported at once.
 */
export function isRetryablePublishError(error: unknown): boolean {
  const e = (error ?? {}) as AwsErrorShape;
  if (typeof e.name === 'string' && RETRYABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  return e.$fault === 'server';
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
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
export function snsMessageAttributes(
  attributes: Record<string, string>,
): Record<string, MessageAttributeValue> {
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
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: SnsNotifierOptions) {
    this.topicArn = options.topicArn;
    this.client = options.client;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.sleep = options.sleep ?? defaultSleep;
  }

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

    for (let attempt = 1; ; attempt += 1) {
      try {
        const response = await this.client.send(command);
        if (!response.MessageId) {
          throw new AlertPublishError(
            `SNS topic ${this.topicArn} accepted alert ${message.dedupKey} but returned no MessageId`,
            this.topicArn,
            'NoMessageId',
            attempt,
          );
        }
        return { messageId: response.MessageId };
      } catch (error) {
        if (error instanceof AlertPublishError) throw error;
        const retryable = isRetryablePublishError(error);
        if (!retryable || attempt >= this.maxAttempts) {
          const code = errorCode(error);
          const detail = error instanceof Error ? error.message : String(error);
          throw new AlertPublishError(
            `Publishing alert ${message.dedupKey} to SNS topic ${this.topicArn} failed` +
              `${retryable ? ` after ${attempt} attempts` : ''}: ${code}: ${detail}`,
            this.topicArn,
            code,
            attempt,
            { cause: error },
          );
        }
        // Exponential backoff with jitter, so throttled pollers do not retry in lockstep.
        const ceiling = Math.min(5000, 250 * 2 ** (attempt - 1));
        await this.sleep(Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
      }
    }
  }
}
