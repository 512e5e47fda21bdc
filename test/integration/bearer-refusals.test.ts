import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { buildConfig } from '../../src/config/load.js'
import { startRealm, DEMO_USERS, type Realm } from '../../dev/devidp/realm.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'
import { freePort, randomSecret } from '../helpers/stack.js'

describe.each(['oidc', 'keycloak'])('bearer refusals, provider type %s', (type) => {
  let realm: Realm
  let gh: Gatehouse
  const logs: { msg: string; suppressed?: number }[] = []
  beforeAll(async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${url}/oauth2/callback`] }] })
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) })
    gh = await startGatehouse(
      await buildConfig({
        server: { listen: `127.0.0.1:${port}`, publicUrl: url },
        cookie: { secret: randomSecret() },
        providers: [{ id: 'corp', type, issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
        authorization: {},
      }),
      { logger },
    )
  })
  afterAll(async () => {
    await gh.close()
    await realm.close()
  })

  const auth = (token: string) => fetch(`${gh.url}/oauth2/auth`, { headers: { authorization: `Bearer ${token}` } })

  it('refuses the ID token of a real login, and accepts an access token of the same user', async () => {
    const browser = new CookieJarClient()
    const start = await browser.get(`${gh.url}/oauth2/start`)
    const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
    expect((await browser.get(back.location!)).status).toBe(302)
    const cookie = browser.all().find((c) => c.name === '_gatehouse')!
    // Cached entries keep no id_token: it is read back from the cookie.
    const header = `_gatehouse=${cookie.value}`
    const active = await gh.runtime().sessions.load(header)
    const idToken = (await gh.runtime().sessions.idToken(active!, header))!
    expect(idToken.split('.')).toHaveLength(3)

    const refused = await auth(idToken)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    // Keycloak's own rule (payload typ Bearer) already refuses it; for generic OIDC the ID-token rule does.
    const reason = type === 'keycloak' ? 'typ claim mismatch' : 'an ID token is not a bearer token'
    expect(logs.some((l) => l.msg === 'bearer token rejected' && (l as { reason?: string }).reason === reason)).toBe(true)

    const access = await realm.signAccessToken({ sub: realm.subjectOf('alice'), azp: 'gatehouse', email: 'alice@example.com', email_verified: true })
    expect((await auth(access)).status).toBe(202)
  })

  it('writes at most 20 log lines in 10 s for 200 unique bad tokens', async () => {
    logs.length = 0
    const forged = (i: number) => {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      return `${b64({ alg: 'RS256', kid: 'x' })}.${b64({ iss: 'https://nobody.example/' + i, sub: 'x' })}.${randomBytes(16).toString('base64url')}`
    }
    for (let i = 0; i < 200; i += 20) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, j) => auth(forged(i + j))))
      for (const a of answers) expect(a.status).toBe(401)
    }
    const lines = logs.filter((l) => l.msg === 'bearer token rejected')
    // The first test spent part of this interval's budget.
    expect(lines.length).toBeGreaterThanOrEqual(18)
    expect(lines.length).toBeLessThanOrEqual(20)
  })
})
