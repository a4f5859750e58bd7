// Before any test file: a temporary directory of this run's own becomes TMPDIR, which
// os.tmpdir() reads in jest's workers (started after this, with this environment) and in every
// process a test starts; and the repository's ignored files are noted. global-teardown.cjs then
// fails the run if anything is left in that directory or new ignored files appeared in the
// repository (cdk.out/, .local-state/, ...).
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { ignoredInRepo } = require('./repo-ignored.cjs');

module.exports = async (globalConfig) => {
  const dir = mkdtempSync(join(tmpdir(), 'zentrunk-test-run-'));
  process.env.ZENTRUNK_TEST_TMPDIR = dir;
  process.env.ZENTRUNK_TEST_TMPDIR_BEFORE = process.env.TMPDIR ?? '';
  process.env.TMPDIR = dir;
  const ignored = ignoredInRepo(globalConfig.rootDir);
  if (ignored) process.env.ZENTRUNK_TEST_REPO_IGNORED = JSON.stringify(ignored);
};
