import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { JsonLogger } from '../../../functions/adapters/logging/json-logger';
import { CredentialsMissingError } from '../../../functions/adapters/secrets/plivo-credentials';
import { UnknownAccountError } from '../../../functions/core/accounts';
import {
  accountSecretArns,
  checkPlivoBaseUrl,
  createInfrastructure,
  createRuntime,
} from '../../../functions/poller/runtime';
import { tempDir } from '../../support/temp-dir';

describe('checkPlivoBaseUrl', () => {
  it('accepts https, and plain http only to a sandbox on this machine', () => {
    expect(checkPlivoBaseUrl('https://api.plivo.com/')).toBe('https://api.plivo.com');
    expect(checkPlivoBaseUrl('http://127.0.0.1:8089')).toBe('http://127.0.0.1:8089');
    expect(checkPlivoBaseUrl('http://localhost:8089')).toBe('http://localhost:8089');
  });

  it('refuses plain http anywhere else, and non-URLs, naming the variable', () => {
    expect(() => checkPlivoBaseUrl('http://api.plivo.com')).toThrow(/PLIVO_API_BASE_URL must use https/);
    expect(() => checkPlivoBaseUrl('http://10.0.0.5:8089')).toThrow(/https/);
    expect(() => checkPlivoBaseUrl('api.plivo.com')).toThrow(/PLIVO_API_BASE_URL is not a URL/);
  });
});

describe('one runtime per account', () => {
  const DEFAULT_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zentrunk/plivo-AbCdEf';
  const ACME_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zentrunk/acme-GhIjKl';
  const secretsManager = mockClient(SecretsManagerClient);
  const quiet = new JsonLogger({ write: () => {} });

  function configFile(config: unknown): string {
    const file = join(tempDir('zentrunk-runtime-'), 'config.json');
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  async function runtimeWith(env: Record<string, string>, config: unknown) {
    const overrides = {
      env: {
        STATE_TABLE_NAME: 'state',
        ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
        ALERT_CONFIG_FILE: configFile(config),
        ...env,
      },
      notifier: { publish: async () => ({ messageId: 'm' }) },
      logger: quiet,
      secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    };
    return createRuntime(createInfrastructure(overrides), overrides);
  }

  const ACCOUNTS = {
    plivo: { maxRequestsPer5s: 60 },
    accounts: [{ name: 'default' }, { name: 'acme', maxRequestsPer5s: 200 }],
  };

  beforeEach(() => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => ({
      SecretString: JSON.stringify({ authId: `MA-${input.SecretId.slice(-6)}`, authToken: 'token-x' }),
    }));
  });

  it("reads each account's own secret: the default's from PLIVO_CREDENTIALS_SECRET_ARN, the others' from the map", async () => {
    const runtime = await runtimeWith(
      {
        PLIVO_CREDENTIALS_SECRET_ARN: DEFAULT_SECRET,
        PLIVO_ACCOUNT_SECRET_ARNS: JSON.stringify({ acme: ACME_SECRET }),
      },
      ACCOUNTS,
    );
    const acme = runtime.forAccount('acme');
    expect(runtime.forAccount('acme')).toBe(acme);
    expect(acme.account).toMatchObject({ name: 'acme', poller: 'acme' });
    expect(acme.config.plivo.maxRequestsPer5s).toBe(200);

    await acme.plivo.run(async () => 'ok', quiet);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ACME_SECRET });

    const main = runtime.forAccount(undefined);
    expect(main).toBe(runtime.forAccount('default'));
    expect(main.config.plivo.maxRequestsPer5s).toBe(60);
    await main.plivo.run(async () => 'ok', quiet);
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      ACME_SECRET,
      DEFAULT_SECRET,
    ]);
  });

  it('refuses an account without a secret (not kept: the next run tries again) and one it does not list', async () => {
    const runtime = await runtimeWith({ PLIVO_CREDENTIALS_SECRET_ARN: DEFAULT_SECRET }, ACCOUNTS);
    expect(() => runtime.forAccount('acme')).toThrow(
      'No Plivo credentials for account "acme": PLIVO_ACCOUNT_SECRET_ARNS has no secret for it',
    );
    expect(() => runtime.forAccount('acme')).toThrow(CredentialsMissingError);
    expect(() => runtime.forAccount('initech')).toThrow(UnknownAccountError);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });

  it('PLIVO_AUTH_ID + PLIVO_AUTH_TOKEN (local use) serve every account', async () => {
    const runtime = await runtimeWith(
      { PLIVO_AUTH_ID: 'MALOCAL', PLIVO_AUTH_TOKEN: 'local-token' },
      ACCOUNTS,
    );
    await runtime.forAccount('acme').plivo.run(async () => 'ok', quiet);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });

  it('reads PLIVO_ACCOUNT_SECRET_ARNS strictly', () => {
    expect(accountSecretArns({})).toEqual({});
    expect(accountSecretArns({ PLIVO_ACCOUNT_SECRET_ARNS: `{"acme":"${ACME_SECRET}"}` })).toEqual({
      acme: ACME_SECRET,
    });
    expect(() => accountSecretArns({ PLIVO_ACCOUNT_SECRET_ARNS: 'acme=arn' })).toThrow(/is not JSON/);
    expect(() => accountSecretArns({ PLIVO_ACCOUNT_SECRET_ARNS: '["arn"]' })).toThrow(
      /must map account names/,
    );
    expect(() => accountSecretArns({ PLIVO_ACCOUNT_SECRET_ARNS: '{"acme":1}' })).toThrow(/must map/);
  });
});
