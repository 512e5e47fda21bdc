// End-to-end suite: real nginx, Caddy and Traefik in front of Gatehouse, a Keycloak-shaped realm and an echo
// app, driven by headless Chromium. Same ts-jest ESM setup as the `jest` key in package.json.
//   npm run test:e2e            (needs /usr/sbin/nginx, /usr/bin/caddy, /usr/bin/chromium and a Traefik build:
//                                scripts/build-traefik.sh, or TRAEFIK_BIN=/path/to/traefik)
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true }] },
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // one browser flow (IdP round trip included) per test; process start-up has its own bounded waits
  testTimeout: 60_000,
  // a stuck child process must not keep CI alive; the harness also kills its process groups on exit
  forceExit: true,
  verbose: true,
}
