// Before any test file: a temporary directory of this run's own becomes TMPDIR, which
// os.tmpdir() reads in jest's workers (started after this, with this environment) and in every
// process a test starts. global-teardown.cjs then fails the run if anything is left in it.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zentrunk-test-run-'));
  process.env.ZENTRUNK_TEST_TMPDIR = dir;
  process.env.ZENTRUNK_TEST_TMPDIR_BEFORE = process.env.TMPDIR ?? '';
  process.env.TMPDIR = dir;
};
