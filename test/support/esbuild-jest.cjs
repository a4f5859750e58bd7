// Jest transform: esbuild turns TypeScript (and @middy/core's ESM-only JavaScript) into CommonJS.
// Chosen over swc/ts-jest because esbuild is already the Lambda bundler and ships binaries for
// every platform through the npm registry; types are checked separately by `npm run typecheck`.
const { createHash } = require('node:crypto');
const { transformSync, version } = require('esbuild');

const loaderFor = (file) => (/\.tsx?$/.test(file) ? 'ts' : 'js');

module.exports = {
  getCacheKey(source, file) {
    return createHash('sha256')
      .update(version)
      .update('\0')
      .update(file)
      .update('\0')
      .update(source)
      .digest('hex');
  },
  process(source, file) {
    const result = transformSync(source, {
      loader: loaderFor(file),
      format: 'cjs',
      target: 'node22',
      sourcemap: 'inline',
      sourcefile: file,
      supported: { 'dynamic-import': false },
      // The project is ESM (tsx, the Lambda bundle); jest runs CommonJS, where import.meta is empty.
      define: { 'import.meta.dirname': '__dirname', 'import.meta.url': '__jestImportMetaUrl' },
      banner: /import\.meta\.url/.test(source)
        ? "const __jestImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"
        : '',
    });
    return { code: result.code };
  },
};
