// Slow tests that need more than the repository: test/package (build, `npm pack`, installs of the tarball from the
// npm registry: `npm run test:package`) and test/helm (the chart rendered by a Helm built with scripts/build-helm.sh:
// `npm run test:helm`). ts-jest ESM setup from jest.esm.config.js.
import esm from './jest.esm.config.js'

/** @type {import('jest').Config} */
export default {
  ...esm,
  testMatch: ['<rootDir>/test/package/**/*.test.ts', '<rootDir>/test/helm/**/*.test.ts'],
  testTimeout: 120_000,
  verbose: true,
}
