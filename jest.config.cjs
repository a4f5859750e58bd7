/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // @middy/core 7 ships ESM only; jest runs CommonJS, so esbuild transpiles it along with our TypeScript.
  transform: { '^.+\\.(t|j)sx?$': '<rootDir>/test/support/esbuild-jest.cjs' },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleNameMapper: { '^@middy/([a-z-]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  testTimeout: 60_000,
  // jest's default on a 2-core machine is one worker; the slow files (sandbox + dynalite over
  // simulated time) wait on loopback I/O part of the time, so two workers use both cores.
  maxWorkers: 2,
  testSequencer: '<rootDir>/test/support/slowest-first.cjs',
  // Each run writes its temporary files into a directory of its own, and fails if the tests
  // leave anything there (test/support/global-setup.cjs, global-teardown.cjs).
  globalSetup: '<rootDir>/test/support/global-setup.cjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.cjs',
};
