import { fromEnv } from '@aws-sdk/credential-provider-env';
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
 * endpoint; and the same caching (its `memoizeChain`, which cannot be imported: the alias
 * replaces the whole package): credentials are served until they expire; in their last five
 * minutes one refresh runs in the background, and if it fails the credentials still in hand
 * keep serving, so a blip of the endpoint never fails a request that could have been signed.
 */

const CONTAINER_URI_VARIABLES = [
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
];

/** How long before expiry a refresh starts (the SDK's default chain uses the same). */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

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
        '(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_CONTAINER_CREDENTIALS_FULL_URI ' +
        'or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)',
    );
  };

  let credentials: AwsCredentialIdentity | undefined;
  /** The fetch callers wait for (none in hand, or a forced refresh): one at a time. */
  let fetching: Promise<AwsCredentialIdentity> | undefined;
  /** The background refresh of credentials near expiry: one at a time, failures ignored. */
  let refreshing: Promise<void> | undefined;

  const fetchNow = (): Promise<AwsCredentialIdentity> =>
    (fetching ??= resolve()
      .then((fresh) => (credentials = fresh))
      .finally(() => {
        fetching = undefined;
      }));

  return async (options?: { forceRefresh?: boolean }) => {
    if (options?.forceRefresh) return fetchNow();
    const expiresAt = credentials?.expiration?.getTime();
    if (!credentials || (expiresAt !== undefined && expiresAt <= Date.now())) return fetchNow();
    if (
      expiresAt !== undefined &&
      expiresAt - Date.now() < REFRESH_BEFORE_EXPIRY_MS &&
      !refreshing &&
      !fetching
    ) {
      refreshing = resolve()
        .then(
          (fresh) => {
            credentials = fresh;
          },
          () => undefined, // the credentials in hand serve until they expire; the next use tries again
        )
        .finally(() => {
          refreshing = undefined;
        });
    }
    return credentials;
  };
}
