import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  CredentialsError,
  credentialsFromEnv,
  credentialsFromSecret,
} from '../../../functions/adapters/secrets/plivo-credentials';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:plivo-AbCdEf';
const TOKEN = 'very-secret-token-value-1234';
const client = new SecretsManagerClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const sm = mockClient(client);

beforeEach(() => sm.reset());

describe('Plivo credentials from the environment', () => {
  it('needs both variables or neither', () => {
    expect(credentialsFromEnv({})).toBeNull();
    expect(credentialsFromEnv({ PLIVO_AUTH_ID: 'MA1', PLIVO_AUTH_TOKEN: TOKEN })).toEqual({
      authId: 'MA1',
      authToken: TOKEN,
    });
    expect(() => credentialsFromEnv({ PLIVO_AUTH_ID: 'MA1' })).toThrow(CredentialsError);
  });
});

describe('Plivo credentials from Secrets Manager', () => {
  it('reads {authId, authToken} from the secret named by its ARN', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ authId: 'MA1', authToken: TOKEN }),
    });
    await expect(credentialsFromSecret(client, ARN)).resolves.toEqual({ authId: 'MA1', authToken: TOKEN });
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
  });

  it('says what is wrong with a bad secret, never its value', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ authId: 'REPLACE_ME', authToken: TOKEN }),
    });
    const placeholder = await credentialsFromSecret(client, ARN).catch((e: Error) => e);
    expect(placeholder).toBeInstanceOf(CredentialsError);
    expect((placeholder as Error).message).toMatch(/authId is still the placeholder/);
    expect((placeholder as Error).message).not.toContain(TOKEN);

    sm.on(GetSecretValueCommand).resolves({ SecretString: `not json ${TOKEN}` });
    const notJson = await credentialsFromSecret(client, ARN).catch((e: Error) => e);
    expect((notJson as Error).message).toMatch(/is not JSON/);
    expect((notJson as Error).message).not.toContain(TOKEN);
  });

  it('names the secret when it cannot be read', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: 'no such secret', $metadata: {} }),
    );
    await expect(credentialsFromSecret(client, ARN)).rejects.toThrow(
      `Cannot read the Plivo credentials secret ${ARN}: ResourceNotFoundException: no such secret`,
    );
  });
});
