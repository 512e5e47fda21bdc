// The Keycloak suite: a real Keycloak (scripts/fetch-keycloak.sh) with Gatehouse in upstream mode and behind the
// nginx example, in headless Chromium. The e2e suite's setup with its own tests and a longer per-test budget.
//   npm run test:keycloak       (needs the fetched Keycloak, Java 17+, /usr/sbin/nginx and /usr/bin/chromium)
import e2e from './jest.e2e.config.js'

/** @type {import('jest').Config} */
export default {
  ...e2e,
  testMatch: ['<rootDir>/test/keycloak/**/*.test.ts'],
  // Browser flows through Keycloak on a loaded machine; Keycloak's own start has its own bounded wait.
  testTimeout: 180_000,
}
