// The Keycloak suite: a real Keycloak (scripts/fetch-keycloak.sh) with Gatehouse in upstream mode and behind the
// nginx example, in headless Chromium. Same ts-jest ESM setup as jest.e2e.config.js.
//   npm run test:keycloak       (needs the fetched Keycloak, Java 17+, /usr/sbin/nginx and /usr/bin/chromium)
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true }] },
  testMatch: ['<rootDir>/test/keycloak/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Browser flows through Keycloak on a loaded machine; Keycloak's own start has its own bounded wait.
  testTimeout: 180_000,
  forceExit: true,
  verbose: true,
}
