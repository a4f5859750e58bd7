// Jest orders test files by the durations it cached from earlier runs; a fresh clone (CI) has
// no cache and falls back to file size, which can leave a long file for the end while the other
// worker idles. These files are the longest here (README, "Tests"): they start first; the rest
// keep Jest's own order.
const Sequencer = require('@jest/test-sequencer').default;

const SLOWEST = [
  'test/infra/stack-variants.test.ts',
  'test/fault/plivo-faults.test.ts',
  'test/integration/windowed.test.ts',
  'test/integration/local-run.test.ts',
  'test/fault/crash-groups.test.ts',
  'test/integration/groups.test.ts',
  'test/fault/soak.test.ts',
  'test/fault/crash-at-every-step.test.ts',
];

class SlowestFirst extends Sequencer {
  async sort(tests) {
    const rank = (test) => {
      const i = SLOWEST.findIndex((path) => test.path.endsWith(path));
      return i === -1 ? SLOWEST.length : i;
    };
    const ordered = await super.sort(tests);
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowestFirst;
