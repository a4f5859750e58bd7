import { fromEnv } from '@aws-sdk/credential-provider-env';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * The AWS credential chain of the deployed poller, standing in for the SDK's default chain
 * (`@aws-sdk/credential-provider-node`) in the Lambda bundle only: lib/poller-bundling.ts
 * aliases that package to this module. Local runs, the CLI and the tests go through tsx and
 * keep the SDK's full chain.
 *
 * Why: Lambda hands its role's credentials to the function in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), or through a container
 * credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI). The default chain's other sources
 * (SSO, shared config files, credential_process, web identity tokens, EC2 instance metadata)
 * can never apply there, yet they are ~107 KB of the bundle and ~50 ms of every cold start
 * (`npm run bench -- --section 6` prints both bundles side by side).
 *
 * Same behaviour as the default chain for those two sources: the environment first, then the
 * endpoint; credentials are kept until five minutes before they expire.
 */

const CONTAINER_URI_VARIABLES = [
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
];

/** What the SDK clients pass to their credential default provider (their own config, logger included). */
type ProviderInit = Parameters<typeof fromEnv>[0] & Record<string, unknown>;

export class NoLambdaCredentialsError extends Error {
  override readonly name = 'NoLambdaCredentialsError';
}

/** The export the SDK clients import from `@aws-sdk/credential-provider-node`. */
export function defaultProvider(init: ProviderInit = {}): AwsCredentialIdentityProvider {
  const resolve = async (): Promise<AwsCredentialIdentity> => {
    if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)();
    if (CONTAINER_URI_VARIABLES.some((name) => process.env[name])) {
      // Loaded only where an endpoint is set: esbuild keeps it out of the import-time work.
      const { fromHttp } = await import('@aws-sdk/credential-provider-http');
      return fromHttp(init)();
    }
    throw new NoLambdaCredentialsError(
      'no AWS credentials: the bundled poller reads only what Lambda provides ' +
        '(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_CONTAINER_CREDENTIALS_FULL_URI)',
    );
  };
  return memoizeIdentityProvider(
    resolve,
    isIdentityExpired,
    doesIdentityRequireRefresh,
  ) as AwsCredentialIdentityProvider;
}
