/**
 * README's bearer example against the dev IdP: a client with a service account gets an access token with
 * the client-credentials grant (the curl form: client_id and client_secret in the body), and Gatehouse,
 * trusting the realm as a keycloak provider, lets that token through as a bearer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { buildConfig } from '../../src/config/load.js'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { randomSecret } from '../helpers/stack.js'

let realm: Realm
let gh: Gatehouse

const token = (form: Record<string, string>) =>
  fetch(`${realm.issuer}/protocol/openid-connect/token`, { method: 'POST', body: new URLSearchParams(form) })

beforeAll(async () => {
  realm = await startRealm({
    port: 0,
    realm: 'demo',
    users: DEMO_USERS,
    clients: [
      { clientId: 'gatehouse', clientSecret: 'gh-secret', redirectUris: ['http://127.0.0.1:1/oauth2/callback'], serviceAccount: true },
      { clientId: 'browser-only', clientSecret: 'b-secret', redirectUris: ['http://127.0.0.1:1/cb'] },
    ],
  })
  const config = await buildConfig({
    server: { listen: '127.0.0.1:0', publicUrl: 'http://127.0.0.1:1' },
    cookie: { secret: randomSecret() },
    providers: [{ id: 'demo', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gh-secret', allowInsecureRequests: true }],
    authorization: {},
  })
  gh = await startGatehouse(config, { logger: createLogger('silent') })
})
afterAll(async () => {
  await gh?.close()
  await realm?.close()
})

describe('dev IdP client-credentials grant', () => {
  it('issues a Keycloak-style JWT access token that Gatehouse accepts as a bearer', async () => {
    const res = await token({ grant_type: 'client_credentials', client_id: 'gatehouse', client_secret: 'gh-secret' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { access_token: string; token_type: string }
    expect(body.token_type).toBe('Bearer')
    expect(decodeProtectedHeader(body.access_token).alg).toBe('RS256')
    expect(decodeJwt(body.access_token)).toMatchObject({ iss: realm.issuer, typ: 'Bearer', azp: 'gatehouse', preferred_username: 'service-account-gatehouse' })

    const auth = await fetch(`${gh.url}/oauth2/auth`, { headers: { authorization: `Bearer ${body.access_token}`, 'x-original-url': 'http://app.example.com/api' } })
    expect(auth.status).toBe(202)
    expect(auth.headers.get('x-auth-request-preferred-username')).toBe('service-account-gatehouse')
  })

  it('refuses the grant to a client without a service account, and a wrong secret', async () => {
    const noAccount = await token({ grant_type: 'client_credentials', client_id: 'browser-only', client_secret: 'b-secret' })
    expect(noAccount.status).toBe(400)
    const refused = (await noAccount.json()) as { error: string; access_token?: string }
    expect(refused.access_token).toBeUndefined()
    expect(refused.error).toMatch(/^(unauthorized_client|invalid_request)$/)
    const wrong = await token({ grant_type: 'client_credentials', client_id: 'gatehouse', client_secret: 'nope' })
    expect(wrong.status).toBe(401)
  })

  it('leaves the code flow\'s tokens as before: a forged bearer still fails', async () => {
    const forged = await fetch(`${gh.url}/oauth2/auth`, { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.', 'x-original-url': 'http://app.example.com/' } })
    expect(forged.status).toBe(401)
  })
})
