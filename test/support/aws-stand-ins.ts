/**
 * Stand-ins for the AWS services the poller calls, on 127.0.0.1, for tests that run the shipped
 * bundle in a process of its own: the SDK reaches them through AWS_ENDPOINT_URL_DYNAMODB,
 * AWS_ENDPOINT_URL_SNS and AWS_ENDPOINT_URL_SECRETS_MANAGER, as it would reach AWS. Every call is
 * recorded as the IAM action it needs and the resource it was made on, so a test can hold the
 * calls against the function's role in the template.
 *
 * Answer shapes, from each service's API reference:
 * - DynamoDB (JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Operation>`): forwarded to a real
 *   DynamoDB-compatible server (dynalite), whose answers are DynamoDB's.
 * - SNS (AWS Query protocol, form-encoded `Action=Publish`): the `PublishResponse` XML of the SNS
 *   API Reference's Publish example.
 * - Secrets Manager (JSON 1.1, `X-Amz-Target: secretsmanager.GetSecretValue`): the fields of the
 *   Secrets Manager API Reference's GetSecretValue example (ARN, CreatedDate in epoch seconds,
 *   Name, SecretString, VersionId, VersionStages); an unknown secret answers
 *   ResourceNotFoundException as documented there.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsCall {
  /** The IAM action, e.g. dynamodb:Query, sns:Publish, kms:GenerateDataKey. */
  action: string;
  /** The ARN the call was made on (a table, its index, a topic, a secret, a key). */
  resource: string;
  /** A KMS call a service made on the caller's behalf: that service (kms:ViaService). */
  viaService?: string;
}

export interface PublishedMessage {
  topicArn: string;
  subject: string;
  message: string;
  attributes: Record<string, string>;
}

export interface AwsStandIns {
  /** Give these to the process under test. */
  env: Record<string, string>;
  calls: AwsCall[];
  published: PublishedMessage[];
  /** Sets (or changes) a secret's value. */
  putSecret(arn: string, value: string): void;
  close(): Promise<void>;
}

export interface AwsStandInOptions {
  region: string;
  accountId: string;
  /** dynalite's endpoint: DynamoDB requests are forwarded there. */
  dynamoDbEndpoint: string;
  /** Topics encrypted with a KMS key, by topic ARN: publishing also uses the key (as SNS does). */
  topicKeys?: Record<string, string>;
  /** Secrets encrypted with a customer managed key, by secret ARN. */
  secretKeys?: Record<string, string>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** The tables (and indexes) a DynamoDB request names, as the resources IAM evaluates. */
function dynamoDbResources(
  operation: string,
  body: Record<string, unknown>,
  tableArn: (name: string) => string,
) {
  const index = typeof body.IndexName === 'string' ? `/index/${body.IndexName}` : '';
  if (typeof body.TableName === 'string') return [tableArn(body.TableName) + index];
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return Object.keys((body.RequestItems as Record<string, unknown>) ?? {}).map(tableArn);
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return ((body.TransactItems as Array<Record<string, { TableName?: string }>>) ?? []).flatMap((item) =>
      Object.values(item).flatMap((op) => (op.TableName ? [tableArn(op.TableName)] : [])),
    );
  }
  return ['*'];
}

export async function startAwsStandIns(options: AwsStandInOptions): Promise<AwsStandIns> {
  const calls: AwsCall[] = [];
  const published: PublishedMessage[] = [];
  const secrets = new Map<string, { value: string; versionId: string; created: number }>();
  const tableArn = (name: string) => `arn:aws:dynamodb:${options.region}:${options.accountId}:table/${name}`;
  const upstream = new URL(options.dynamoDbEndpoint);

  const dynamodb = createServer(async (req, res) => {
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      // Forwarded as it is: the server answers what DynamoDB would.
    }
    for (const resource of dynamoDbResources(operation, parsed, tableArn)) {
      calls.push({ action: `dynamodb:${operation}`, resource });
    }
    forwardRequest(req, res, upstream, body);
  });

  const sns = createServer(async (req, res) => {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const action = form.get('Action') ?? '';
    const topicArn = form.get('TopicArn') ?? '';
    calls.push({ action: `sns:${action}`, resource: topicArn });
    const key = options.topicKeys?.[topicArn];
    if (key !== undefined) {
      // SNS encrypts the message with the topic's key on the publisher's behalf: the publisher
      // needs both (SNS Developer Guide, "Encryption at rest": key policy for publishers).
      const viaService = `sns.${options.region}.amazonaws.com`;
      calls.push(
        { action: 'kms:GenerateDataKey', resource: key, viaService },
        { action: 'kms:Decrypt', resource: key, viaService },
      );
    }
    if (action !== 'Publish') {
      sendXml(res, 400, errorXml('InvalidAction', `${action} is not implemented by this stand-in`));
      return;
    }
    const attributes: Record<string, string> = {};
    for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
      attributes[form.get(`MessageAttributes.entry.${i}.Name`) as string] =
        form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
    }
    published.push({
      topicArn,
      subject: form.get('Subject') ?? '',
      message: form.get('Message') ?? '',
      attributes,
    });
    sendXml(
      res,
      200,
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  });

  const secretsManager = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { SecretId?: string };
    const action = target.replace(/^secretsmanager\./, '');
    const secretId = body.SecretId ?? '';
    calls.push({ action: `secretsmanager:${action}`, resource: secretId });
    const key = options.secretKeys?.[secretId];
    if (key !== undefined) {
      calls.push({
        action: 'kms:Decrypt',
        resource: key,
        viaService: `secretsmanager.${options.region}.amazonaws.com`,
      });
    }
    const secret = secrets.get(secretId);
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    if (action !== 'GetSecretValue' || secret === undefined) {
      res.writeHead(400);
      res.end(
        JSON.stringify({
          __type: 'ResourceNotFoundException',
          Message: "Secrets Manager can't find the specified secret.",
        }),
      );
      return;
    }
    res.writeHead(200);
    res.end(
      JSON.stringify({
        ARN: secretId,
        CreatedDate: secret.created,
        Name: secretId.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, ''),
        SecretString: secret.value,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
      }),
    );
  });

  const endpoints = {
    AWS_ENDPOINT_URL_DYNAMODB: await listen(dynamodb),
    AWS_ENDPOINT_URL_SNS: await listen(sns),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: await listen(secretsManager),
  };
  return {
    env: endpoints,
    calls,
    published,
    putSecret(arn, value) {
      secrets.set(arn, { value, versionId: randomUUID(), created: Date.now() / 1000 });
    },
    close: async () => {
      await Promise.all([close(dynamodb), close(sns), close(secretsManager)]);
    },
  };
}

/** Sends `req` on to `target` (same method, path and headers) and its answer back; 502 if unreachable. */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, target: URL, body?: Buffer): void {
  const out = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', (error) => {
    res.writeHead(502);
    res.end(String(error));
  });
  if (body === undefined) req.pipe(out);
  else out.end(body);
}

function sendXml(res: ServerResponse, status: number, xml: string) {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(xml);
}

const errorXml = (code: string, message: string) =>
  `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
