/**
 * Starts a real Keycloak-shaped realm and a real Gatehouse on loopback for integration tests.
 */
import { randomBytes } from 'node:crypto'
import { buildConfig } from '../../src/config/load.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { createLogger } from '../../src/logger.js'
import { DEMO_USERS, startRealm, type Realm, type RealmOptions, type RealmUser } from '../../dev/devidp/realm.js'

import { freePort } from './ports.js'

export { freePort }

export const randomSecret = () => randomBytes(32).toString('base64url')

export interface Stack {
  realm: Realm
  gatehouse: Gatehouse
  /** http://127.0.0.1:PORT of Gatehouse (also its publicUrl). */
  url: string
  secret: string
  close(): Promise<void>
}

export interface StackOptions {
  users?: RealmUser[]
  /** Merged over the generated config (shallow per top-level key). */
  config?: Record<string, unknown>
  provider?: Record<string, unknown>
  /** Token lifetimes and rotation of the dev realm. */
  realm?: Pick<RealmOptions, 'ttl' | 'rotateRefreshToken'>
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const realm = await startRealm({
    users: options.users ?? DEMO_USERS,
    clients: [
      {
        clientId: 'gatehouse',
        clientSecret: 'gatehouse-secret',
        redirectUris: [`${url}/oauth2/callback`],
        postLogoutRedirectUris: [`${url}/oauth2/signed_out`],
        backchannelLogoutUri: `${url}/oauth2/backchannel_logout`,
      },
    ],
    ...options.realm,
  })
  const secret = randomSecret()
  const config = await buildConfig({
    server: { listen: `127.0.0.1:${port}`, publicUrl: url },
    cookie: { secret },
    redirect: { allowedDomains: ['.example.test', '.example.test:*'] },
    providers: [
      { id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true, ...options.provider },
    ],
    authorization: {},
    logging: { level: 'silent' },
    ...options.config,
  })
  const gatehouse = await startGatehouse(config, { logger: createLogger('silent') })
  return {
    realm,
    gatehouse,
    url,
    secret,
    async close() {
      await gatehouse.close()
      await realm.close()
    },
  }
}
