/**
 * `npm run demo`: Gatehouse in upstream mode in front of a whoami page, logging in through an
 * embedded development identity provider (users alice/alice and bob/bob). Loopback only.
 */
import { randomBytes } from 'node:crypto'
import { buildConfig } from '../../src/config/load.js'
import { startGatehouse } from '../../src/server.js'
import { DEMO_USERS, startRealm } from '../devidp/realm.js'
import { startWhoami } from './whoami.js'

const GATEHOUSE_PORT = Number(process.env.DEMO_PORT ?? 4180)
const IDP_PORT = Number(process.env.DEMO_IDP_PORT ?? 8180)
const APP_PORT = Number(process.env.DEMO_APP_PORT ?? 8181)
const publicUrl = `http://127.0.0.1:${GATEHOUSE_PORT}`
const clientSecret = randomBytes(16).toString('base64url')

const realm = await startRealm({
  port: IDP_PORT,
  realm: 'demo',
  users: DEMO_USERS,
  clients: [{ clientId: 'gatehouse', clientSecret, redirectUris: [`${publicUrl}/oauth2/callback`], postLogoutRedirectUris: [`${publicUrl}/`, `${publicUrl}/oauth2/sign_in`] }],
  banner: 'DEVELOPMENT IDENTITY PROVIDER: for the Gatehouse demo only. Never use it in production.',
})
const app = await startWhoami(APP_PORT)
const config = await buildConfig({
  server: { listen: `127.0.0.1:${GATEHOUSE_PORT}`, publicUrl },
  cookie: { secret: randomBytes(32).toString('base64url'), expire: '8h' },
  providers: [{ id: 'demo', type: 'keycloak', displayName: 'Demo realm', issuer: realm.issuer, clientId: 'gatehouse', clientSecret, allowInsecureRequests: true }],
  authorization: {},
  upstream: `http://127.0.0.1:${APP_PORT}`,
  logging: { level: process.env.DEMO_LOG_LEVEL ?? 'info' },
})
const gatehouse = await startGatehouse(config)

process.stdout.write(`
  ┌──────────────────────────────────────────────────────────────────┐
  │  Gatehouse demo                                                  │
  │                                                                  │
  │  Open  ${publicUrl.padEnd(58)}│
  │  Log in as alice / alice (groups staff, sre) or bob / bob        │
  │                                                                  │
  │  The identity provider at ${realm.origin.padEnd(39)}│
  │  is a DEVELOPMENT-ONLY stand-in for Keycloak. Ctrl-C stops all.  │
  └──────────────────────────────────────────────────────────────────┘
`)

const stop = async () => {
  await gatehouse.close()
  await realm.close()
  app.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
