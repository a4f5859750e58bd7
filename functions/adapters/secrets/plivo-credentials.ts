import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';

export interface PlivoCredentials {
  authId: string;
  authToken: string;
}

/** Raised when credentials are missing or unusable. Never carries a secret value. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

const secretSchema = z.object({
  authId: z
    .string()
    .min(1)
    .refine((v) => v !== 'REPLACE_ME', 'is still the placeholder'),
  authToken: z.string().min(1),
});

/** From PLIVO_AUTH_ID + PLIVO_AUTH_TOKEN; null when neither is set. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): PlivoCredentials | null {
  const authId = env.PLIVO_AUTH_ID;
  const authToken = env.PLIVO_AUTH_TOKEN;
  if (!authId && !authToken) return null;
  if (!authId || !authToken) {
    throw new CredentialsError('Set both PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN, or neither');
  }
  return { authId, authToken };
}

/** Reads a Secrets Manager secret holding {"authId": "...", "authToken": "..."}. */
export async function credentialsFromSecret(
  client: SecretsManagerClient,
  secretArn: string,
): Promise<PlivoCredentials> {
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn })));
  } catch (error) {
    throw new CredentialsError(
      `Cannot read the Plivo credentials secret ${secretArn}: ${(error as Error).name}: ${(error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? '');
  } catch {
    throw new CredentialsError(
      `The secret ${secretArn} is not JSON; expected {"authId": "...", "authToken": "..."}`,
    );
  }
  const result = secretSchema.safeParse(parsed);
  if (!result.success) {
    // Only the field names go into the message, never their values.
    const fields = result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ');
    throw new CredentialsError(
      `The secret ${secretArn} must hold {"authId": "...", "authToken": "..."}: ${fields}`,
    );
  }
  return result.data;
}
