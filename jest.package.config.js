// Slow tests that need more than the repository: test/package (build, `npm pack`, installs of the tarball from the
// npm registry: `npm run test:package`) and test/helm (the chart rendered by a Helm built with scripts/build-helm.sh:
// `npm run test:helm`). Same ts-jest ESM setup as the `jest` key in package.json.
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true }] },
  testMatch: ['<rootDir>/test/package/**/*.test.ts', '<rootDir>/test/helm/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120_000,
  forceExit: true,
  verbose: true,
}
