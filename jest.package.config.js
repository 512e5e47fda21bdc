// The shipped package (test/package): build, `npm pack`, installs of the tarball (global, and production-only in a
// read-only sandbox). Slow and needs the npm registry, so it is its own project: `npm run test:package`.
// Same ts-jest ESM setup as the `jest` key in package.json.
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true }] },
  testMatch: ['<rootDir>/test/package/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120_000,
  forceExit: true,
  verbose: true,
}
