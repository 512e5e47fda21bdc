// Test set for mutation testing (npm run test:mutation, stryker.config.mjs): the unit tests of the modules that
// decide who gets in (test/unit mirrors src). No integration, Keycloak, e2e or package suites: each mutant re-runs
// the tests covering it, so every second of set-up here is paid per mutant, and a module's score should come from
// the tests that state its behaviour.
// ts-jest ESM setup from jest.esm.config.js.
// MUTATION_TESTS=<glob,glob> narrows the set further while working on one module.
import esm from './jest.esm.config.js'

const narrowed = process.env.MUTATION_TESTS?.split(',').map((g) => `<rootDir>/${g.trim()}`)
/** @type {import('jest').Config} */
export default {
  ...esm,
  testMatch: narrowed ?? [
    '<rootDir>/test/unit/access/**/*.test.ts',
    '<rootDir>/test/unit/assertion/sign.test.ts',
    '<rootDir>/test/unit/headers/**/*.test.ts',
    '<rootDir>/test/unit/redirect.test.ts',
    '<rootDir>/test/unit/request/**/*.test.ts',
    '<rootDir>/test/unit/rules.test.ts',
    '<rootDir>/test/unit/rules/**/*.test.ts',
    '<rootDir>/test/unit/session/cookies.test.ts',
    '<rootDir>/test/unit/session/seal.test.ts',
    '<rootDir>/test/unit/tokens.test.ts',
    '<rootDir>/test/unit/tokens/jwt.test.ts',
    '<rootDir>/test/unit/tokens/jws.test.ts',
    '<rootDir>/test/unit/tokens/keys.test.ts',
  ],
  testTimeout: 30_000,
}
