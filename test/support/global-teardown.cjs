// After the last test file: whatever the tests left in the run's temporary directory (see
// global-setup.cjs) fails the run, listed, and so do ignored files that appeared in the
// repository; the temporary directory is removed either way.
const { readdirSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { ignoredInRepo } = require('./repo-ignored.cjs');

/**
 * Caches of tools the tests run, not files of a test (removed with the directory all the same):
 * tsx's transform cache (tsx-<uid>, the scripts and bin/app.ts run in child processes) and
 * Node's compile cache (npm enables it: CDK's local bundling runs `npx --no-install esbuild`).
 */
const TOOL_CACHES = [/^tsx-\d+$/, /^node-compile-cache$/];

function describe(dir, name) {
  const path = join(dir, name);
  try {
    if (!statSync(path).isDirectory()) return name;
    const inside = readdirSync(path);
    const shown = inside.slice(0, 3).join(', ');
    return `${name}/ (${inside.length} entries${inside.length > 0 ? `: ${shown}${inside.length > 3 ? ', ...' : ''}` : ''})`;
  } catch {
    return name;
  }
}

module.exports = async (globalConfig) => {
  const problems = [];
  const before = process.env.ZENTRUNK_TEST_REPO_IGNORED;
  delete process.env.ZENTRUNK_TEST_REPO_IGNORED;
  if (before) {
    const known = new Set(JSON.parse(before));
    const appeared = (ignoredInRepo(globalConfig.rootDir) ?? []).filter((path) => !known.has(path));
    if (appeared.length > 0) {
      problems.push(
        `the tests left ${appeared.length} new file(s) in the repository (not removed): ` +
          `tests write into temporary directories\n  ${appeared.join('\n  ')}`,
      );
    }
  }

  const dir = process.env.ZENTRUNK_TEST_TMPDIR;
  if (dir) {
    if (process.env.ZENTRUNK_TEST_TMPDIR_BEFORE) process.env.TMPDIR = process.env.ZENTRUNK_TEST_TMPDIR_BEFORE;
    else delete process.env.TMPDIR;
    delete process.env.ZENTRUNK_TEST_TMPDIR;
    delete process.env.ZENTRUNK_TEST_TMPDIR_BEFORE;
    let left = [];
    try {
      left = readdirSync(dir)
        .filter((name) => !TOOL_CACHES.some((cache) => cache.test(name)))
        .sort()
        .map((name) => describe(dir, name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (left.length > 0) {
      problems.push(
        `the tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temporary directory ` +
          `(now removed): each test must remove what it creates (test/support/temp-dir.ts does)\n  ${left.join('\n  ')}`,
      );
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
};
