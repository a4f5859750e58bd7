import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  defaultProvider,
  NoLambdaCredentialsError,
} from '../../../functions/adapters/aws/lambda-credentials';
import { waitFor } from '../../support/wait-for';

/** The variables any of the two sources reads, cleared around every test. */
const VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_PROFILE',
];
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
beforeEach(() => {
  for (const name of VARIABLES) delete process.env[name];
});
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A local HTTP server answering every request with `answer`, recording each request's headers. */
async function serve(answer: (headers: IncomingHttpHeaders) => { status: number; body: string }) {
  const requests: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.headers);
    req.resume();
    req.on('end', () => {
      const { status, body } = answer(req.headers);
      res.writeHead(status, { 'content-type': body.startsWith('<') ? 'text/xml' : 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((done) => server.close(() => done())) };
}

const containerAnswer = (expiresInMs: number) => () => ({
  status: 200,
  body: JSON.stringify({
    AccessKeyId: 'ASIACONTAINER',
    SecretAccessKey: 'container-secret',
    Token: 'container-token',
    Expiration: new Date(Date.now() + expiresInMs).toISOString(),
  }),
});

describe("the bundled poller's credential chain", () => {
  it("reads Lambda's environment credentials, session token included", async () => {
    process.env.AWS_ACCESS_KEY_ID = 'ASIAENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    process.env.AWS_SESSION_TOKEN = 'env-token';
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'ASIAENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'env-token',
    });
  });

  it('prefers the environment over a container endpoint, as the default chain does', async () => {
    const endpoint = await serve(containerAnswer(3_600_000));
    try {
      process.env.AWS_ACCESS_KEY_ID = 'ASIAENV';
      process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${endpoint.url}/credentials`;
      await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'ASIAENV' });
      expect(endpoint.requests).toHaveLength(0);
    } finally {
      await endpoint.close();
    }
  });

  it('asks the container endpoint with its token, once for many uses', async () => {
    const endpoint = await serve(containerAnswer(3_600_000));
    try {
      process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'endpoint-token';
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${endpoint.url}/credentials`;
      const provider = defaultProvider();
      // Concurrent first uses share one request.
      const first = await Promise.all([provider(), provider(), provider()]);
      expect(first[0]).toMatchObject({ accessKeyId: 'ASIACONTAINER', sessionToken: 'container-token' });
      await provider();
      expect(endpoint.requests).toHaveLength(1);
      expect(endpoint.requests[0]?.authorization).toBe('endpoint-token');
      // The SDK asks for a forced refresh when a service says the credentials are expired.
      await provider({ forceRefresh: true });
      expect(endpoint.requests).toHaveLength(2);
    } finally {
      await endpoint.close();
    }
  });

  it('refreshes near expiry in the background, serving the credentials in hand if that fails', async () => {
    let status = 200;
    let expiresInMs = 60_000; // inside the last five minutes from the start
    let issued = 0;
    const endpoint = await serve(() => {
      issued += 1;
      return status === 200
        ? {
            status,
            body: JSON.stringify({
              AccessKeyId: `ASIA${issued}`,
              SecretAccessKey: 'container-secret',
              Token: 'container-token',
              Expiration: new Date(Date.now() + expiresInMs).toISOString(),
            }),
          }
        : { status, body: '{"message":"unavailable"}' };
    });
    const now = jest.spyOn(Date, 'now');
    try {
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${endpoint.url}/credentials`;
      // No retries within one fetch (the SDK's endpoint client retries 3 times, 1 s apart).
      const provider = defaultProvider({ maxRetries: 0 });
      await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIA1' });

      // The endpoint fails: the credentials in hand still serve, at once, until they expire.
      // Uses go on until a second background refresh has been asked for, which happens only
      // once the first has failed (one at a time): every use before and after got ASIA1.
      status = 500;
      const served = new Set<string>();
      await waitFor(async () => {
        served.add((await provider()).accessKeyId);
        return issued >= 3;
      });
      expect([...served]).toEqual(['ASIA1']);

      // The endpoint is back: a use starts a refresh and later uses get its credentials.
      status = 200;
      expiresInMs = 3_600_000;
      await waitFor(async () => (await provider()).accessKeyId !== 'ASIA1');
      const refreshed = await provider();
      expect(refreshed.accessKeyId).toMatch(/^ASIA\d+$/);

      // Past their expiry, credentials are never served: a use waits for new ones, and fails
      // (visibly) when the endpoint cannot give any.
      status = 500;
      const expiry = refreshed.expiration?.getTime() as number;
      now.mockReturnValue(expiry + 1);
      await expect(provider()).rejects.toThrow();
    } finally {
      now.mockRestore();
      await endpoint.close();
    }
  });

  it('fails with what it reads when there is no source, and tries again next time', async () => {
    process.env.AWS_PROFILE = 'developer'; // a shared-config source: never read in the bundle
    const provider = defaultProvider();
    await expect(provider()).rejects.toThrow(NoLambdaCredentialsError);
    await expect(provider()).rejects.toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);

    process.env.AWS_ACCESS_KEY_ID = 'ASIALATER';
    process.env.AWS_SECRET_ACCESS_KEY = 'later-secret';
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIALATER' });
  });

  it("signs an SDK client's requests when the client takes it as its default provider", async () => {
    const sns = await serve(() => ({
      status: 200,
      body:
        '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
        '<MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId>' +
        '</ResponseMetadata></PublishResponse>',
    }));
    try {
      process.env.AWS_ACCESS_KEY_ID = 'ASIASIGNED';
      process.env.AWS_SECRET_ACCESS_KEY = 'signing-secret';
      process.env.AWS_SESSION_TOKEN = 'signing-token';
      const client = new SNSClient({
        region: 'us-east-1',
        endpoint: sns.url,
        credentialDefaultProvider: defaultProvider,
      });
      const answer = await client.send(
        new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: 'x' }),
      );
      expect(answer.MessageId).toBe('m-1');
      expect(sns.requests[0]?.authorization).toMatch(/Credential=ASIASIGNED\//);
      expect(sns.requests[0]?.['x-amz-security-token']).toBe('signing-token');
      client.destroy();
    } finally {
      await sns.close();
    }
  });
});
