// Test set for mutation testing (npm run test:mutation, stryker.config.mjs): the fast unit and in-process
// integration tests that exercise the modules deciding who gets in. No Keycloak, e2e, package, Redis or
// child-process suites: each mutant re-runs the tests covering it, so every second here is paid per mutant.
// Same ts-jest ESM setup as the `jest` key in package.json, transpile-only (tsc checks types in npm test).
// MUTATION_TESTS=<glob,glob> narrows the set further while working on one module.
const narrowed = process.env.MUTATION_TESTS?.split(',').map((g) => `<rootDir>/${g.trim()}`)
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true }] },
  testMatch: narrowed ?? [
    '<rootDir>/test/unit/request/**/*.test.ts',
    '<rootDir>/test/unit/rules/**/*.test.ts',
    '<rootDir>/test/unit/rules.test.ts',
    '<rootDir>/test/unit/redirect.test.ts',
    '<rootDir>/test/unit/access/**/*.test.ts',
    '<rootDir>/test/unit/session/**/*.test.ts',
    '<rootDir>/test/unit/tokens/**/*.test.ts',
    '<rootDir>/test/unit/tokens.test.ts',
    '<rootDir>/test/unit/headers/**/*.test.ts',
    '<rootDir>/test/integration/original-request.test.ts',
    '<rootDir>/test/integration/verify-contract.test.ts',
    '<rootDir>/test/integration/rules.test.ts',
    '<rootDir>/test/integration/sessions.test.ts',
    '<rootDir>/test/integration/upstream-request.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 30_000,
  forceExit: true,
}
