// End-to-end suite: real nginx, Caddy and Traefik in front of Gatehouse, a Keycloak-shaped realm and an echo
// app, driven by headless Chromium. ts-jest ESM setup from jest.esm.config.js.
//   npm run test:e2e            (needs /usr/sbin/nginx, /usr/bin/caddy, /usr/bin/chromium and a Traefik build:
//                                scripts/build-traefik.sh, or TRAEFIK_BIN=/path/to/traefik)
import esm from './jest.esm.config.js'

/** @type {import('jest').Config} */
export default {
  ...esm,
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  // one browser flow (IdP round trip included) per test; process start-up has its own bounded waits
  testTimeout: 60_000,
  verbose: true,
}
