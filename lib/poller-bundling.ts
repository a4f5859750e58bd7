import { resolve } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * The SDK's default credential chain, replaced in the Lambda bundle by the two sources Lambda
 * uses (functions/adapters/aws/lambda-credentials.ts says why): 107 KB and ~50 ms less.
 */
const CREDENTIAL_CHAIN_ALIAS = {
  '@aws-sdk/credential-provider-node': resolve(
    import.meta.dirname,
    '..',
    'functions',
    'adapters',
    'aws',
    'lambda-credentials.ts',
  ),
};

/**
 * How the poller is bundled: one definition for the stack (lib/poller-function.ts, through
 * NodejsFunction) and the benchmarks that bundle it as `cdk synth` does (scripts/bench-scale.ts,
 * scripts/bench-cold-start.ts). No CDK import here, so the benchmarks load without it.
 */
export const POLLER_BUNDLING = {
  target: 'node24',
  mainFields: ['module', 'main'],
  // @middy/core is ESM only; CommonJS dependencies bundled into ESM still call require().
  banner:
    "import { createRequire as __zentrunkCreateRequire } from 'node:module'; " +
    'const require = __zentrunkCreateRequire(import.meta.url);',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  alias: CREDENTIAL_CHAIN_ALIAS,
} as const;

/** The same options in esbuild's own terms (NodejsFunction passes them to esbuild's CLI). */
export function pollerEsbuildOptions(): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: POLLER_BUNDLING.target,
    mainFields: [...POLLER_BUNDLING.mainFields],
    banner: { js: POLLER_BUNDLING.banner },
    minify: POLLER_BUNDLING.minify,
    sourcemap: POLLER_BUNDLING.sourceMap,
    sourcesContent: POLLER_BUNDLING.sourcesContent,
    alias: { ...POLLER_BUNDLING.alias },
  };
}
