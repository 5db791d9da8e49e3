// One jest run for the whole workspace: a project per package plus the
// cross-package suite in test/. ts-jest transpiles only (isolatedModules);
// `pnpm typecheck` does the type checking, so tests stay fast.
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};
const moduleNameMapper = {
  '^@fittech/([a-z]+)$': '<rootDir>/packages/$1/src',
  '^@fittech/shared/loader$': '<rootDir>/packages/shared/src/loader',
  '^@fittech/shared/core$': '<rootDir>/packages/shared/src/core',
  '^@fittech/infra/synthesize$': '<rootDir>/packages/infra/src/synthesize',
  '^@fittech/manifests/testing$': '<rootDir>/packages/manifests/src/testing',
};
const project = (name, roots) => ({
  displayName: name,
  rootDir: __dirname,
  roots,
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform,
  moduleNameMapper,
});

const { availableParallelism } = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  // jest's default is one worker fewer than the cores: one worker on a 2-core machine, the
  // whole suite in series. Most suites wait on servers and processes rather than compute, so
  // one worker more than the cores keeps both cores busy (6.6 → 4.6 min on a loaded 2-core box).
  maxWorkers: availableParallelism() + 1,
  // Tests wait for real servers and processes: on a loaded machine (2 cores, shared) a few
  // seconds is not a bound, so the default is generous; each wait inside has its own timeout.
  testTimeout: 60_000,
  // Says what is still running when nothing has finished for a while (see the file).
  reporters: ['default', '<rootDir>/tools/support/progress-reporter.js'],
  projects: [
    project('shared', ['<rootDir>/packages/shared/test']),
    project('api', ['<rootDir>/packages/api/test']),
    project('manifests', ['<rootDir>/packages/manifests/test']),
    project('infra', ['<rootDir>/packages/infra/test']),
    project('cli', ['<rootDir>/packages/cli/test']),
    project('platform', ['<rootDir>/test']),
  ],
};
