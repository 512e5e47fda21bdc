/**
 * `npm run demo`: Gatehouse in upstream mode in front of a whoami page, logging in through an
 * embedded development identity provider (users alice/alice and bob/bob). Loopback only.
 */
import { randomBytes } from 'node:crypto'
import { buildConfig } from '../../src/config/load.js'
import { startGatehouse } from '../../src/server.js'
import { DEMO_USERS, startRealm } from '../devidp/realm.js'
import { startWhoami } from './whoami.js'
import { listenProblem } from './ports.js'

const GATEHOUSE_PORT = Number(process.env.DEMO_PORT ?? 4180)
const IDP_PORT = Number(process.env.DEMO_IDP_PORT ?? 8180)
const APP_PORT = Number(process.env.DEMO_APP_PORT ?? 8181)
const publicUrl = `http://127.0.0.1:${GATEHOUSE_PORT}`
const clientSecret = randomBytes(16).toString('base64url')

const closers: (() => unknown)[] = []

/** A port already taken is one plain line and exit 1, not a stack trace. */
async function start<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what()
  } catch (err) {
    const problem = listenProblem(err)
    if (!problem) throw err
    process.stderr.write(`gatehouse demo: ${problem}\n`)
    await Promise.allSettled(closers.map((close) => close()))
    process.exit(1)
  }
}

const realm = await start(() => startRealm({
  port: IDP_PORT,
  realm: 'demo',
  users: DEMO_USERS,
  clients: [{ clientId: 'gatehouse', clientSecret, redirectUris: [`${publicUrl}/oauth2/callback`], postLogoutRedirectUris: [`${publicUrl}/oauth2/signed_out`], serviceAccount: true }],
  banner: 'DEVELOPMENT IDENTITY PROVIDER: for the Gatehouse demo only. Never use it in production.',
}))
closers.push(() => realm.close())
const app = await start(() => startWhoami(APP_PORT))
closers.push(() => app.close())
const config = await buildConfig({
  server: { listen: `127.0.0.1:${GATEHOUSE_PORT}`, publicUrl },
  cookie: { secret: randomBytes(32).toString('base64url'), expire: '8h' },
  providers: [{ id: 'demo', type: 'keycloak', displayName: 'Demo realm', issuer: realm.issuer, clientId: 'gatehouse', clientSecret, allowInsecureRequests: true }],
  authorization: {},
  upstream: `http://127.0.0.1:${APP_PORT}`,
  logging: { level: process.env.DEMO_LOG_LEVEL ?? 'info' },
})
const gatehouse = await start(() => startGatehouse(config))

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

  A bearer token for API calls (client-credentials grant):
    TOKEN=$(curl -s -d grant_type=client_credentials -d client_id=gatehouse -d client_secret=${clientSecret} \\
      ${realm.issuer}/protocol/openid-connect/token | jq -r .access_token)
    curl -H "Authorization: Bearer $TOKEN" ${publicUrl}/
`)

const stop = async () => {
  await gatehouse.close()
  await realm.close()
  app.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
