import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  CREDENTIALS_MAX_AGE_SECONDS,
  CredentialsError,
  type CredentialsSource,
  credentialsFromEnv,
  SecretCredentials,
  StaticCredentials,
} from '../../../functions/adapters/secrets/plivo-credentials';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:plivo-AbCdEf';
const TOKEN = 'very-secret-token-value-1234';
const NEW_TOKEN = 'rotated-secret-token-5678';
const client = new SecretsManagerClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const sm = mockClient(client);
const secretString = (authToken: string, authId = 'MA1') => ({
  SecretString: JSON.stringify({ authId, authToken }),
});

beforeEach(() => sm.reset());
afterEach(() => jest.useRealTimers());

describe('Plivo credentials from the environment', () => {
  it('needs both variables or neither', () => {
    expect(credentialsFromEnv({})).toBeNull();
    expect(credentialsFromEnv({ PLIVO_AUTH_ID: 'MA1', PLIVO_AUTH_TOKEN: TOKEN })).toEqual({
      authId: 'MA1',
      authToken: TOKEN,
    });
    expect(() => credentialsFromEnv({ PLIVO_AUTH_ID: 'MA1' })).toThrow(CredentialsError);
  });

  it('are fixed: nothing to re-read', async () => {
    const source: CredentialsSource = new StaticCredentials({ authId: 'MA1', authToken: TOKEN });
    expect(source.refreshable).toBe(false);
    await expect(source.get({ forceFetch: true })).resolves.toEqual({ authId: 'MA1', authToken: TOKEN });
  });
});

describe('Plivo credentials from Secrets Manager', () => {
  it('reads {authId, authToken} from the secret named by its ARN', async () => {
    sm.on(GetSecretValueCommand).resolves(secretString(TOKEN));
    const source = new SecretCredentials({ secretArn: ARN, client });
    expect(source.refreshable).toBe(true);
    await expect(source.get()).resolves.toEqual({ authId: 'MA1', authToken: TOKEN });
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
  });

  it('reuses a read for maxAge, reads again after it, and at once when forced', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    sm.on(GetSecretValueCommand).resolvesOnce(secretString(TOKEN)).resolves(secretString(NEW_TOKEN));
    const source = new SecretCredentials({ secretArn: ARN, client });

    expect((await source.get()).authToken).toBe(TOKEN);
    jest.advanceTimersByTime((CREDENTIALS_MAX_AGE_SECONDS - 1) * 1000);
    expect((await source.get()).authToken).toBe(TOKEN);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);

    jest.advanceTimersByTime(2000);
    expect((await source.get()).authToken).toBe(NEW_TOKEN);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);

    expect((await source.get({ forceFetch: true })).authToken).toBe(NEW_TOKEN);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
  });

  it('says what is wrong with a bad secret, never its value, and does not keep it for maxAge', async () => {
    sm.on(GetSecretValueCommand).resolves(secretString(TOKEN, 'REPLACE_ME'));
    const source = new SecretCredentials({ secretArn: ARN, client });
    const placeholder = await source.get().catch((e: Error) => e);
    expect(placeholder).toBeInstanceOf(CredentialsError);
    expect((placeholder as Error).message).toMatch(/authId is still the placeholder/);
    expect((placeholder as Error).message).not.toContain(TOKEN);

    sm.on(GetSecretValueCommand).resolves({ SecretString: `not json ${TOKEN}` });
    const notJson = await source.get().catch((e: Error) => e);
    expect((notJson as Error).message).toMatch(/is not JSON/);
    expect((notJson as Error).message).not.toContain(TOKEN);

    // Once the secret is set, the very next read sees it.
    sm.on(GetSecretValueCommand).resolves(secretString(TOKEN));
    await expect(source.get()).resolves.toEqual({ authId: 'MA1', authToken: TOKEN });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
  });

  it('names the secret and the AWS error when it cannot be read', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: 'no such secret', $metadata: {} }),
    );
    await expect(new SecretCredentials({ secretArn: ARN, client }).get()).rejects.toThrow(
      new CredentialsError(
        `Cannot read the Plivo credentials secret ${ARN}: ResourceNotFoundException: no such secret`,
      ),
    );
  });
});
