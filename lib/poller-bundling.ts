import type { BuildOptions } from 'esbuild';

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
  };
}
