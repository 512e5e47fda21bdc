import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { CookieJarClient } from '../fakes/browser.js'
import { startFakeGitHub, type FakeGitHub } from '../fakes/github.js'
import { startFakeGoogle, type FakeGoogle } from '../fakes/google.js'
import { freePort } from '../helpers/stack.js'
import { HTML, loginVia, startHarness, userinfo, type Harness } from './providers-harness.js'

describe('four providers at once: keycloak, oidc, google, github', () => {
  let realm: Realm
  let google: FakeGoogle
  let github: FakeGitHub
  let h: Harness
  beforeAll(async () => {
    const port = await freePort()
    const callback = `http://127.0.0.1:${port}/oauth2/callback`
    realm = await startRealm({
      users: DEMO_USERS,
      clients: [
        { clientId: 'gatehouse', clientSecret: 'kc-secret', redirectUris: [callback] },
        { clientId: 'gatehouse-oidc', clientSecret: 'oidc-secret', redirectUris: [callback] },
      ],
    })
    google = await startFakeGoogle({
      clientId: 'g-client', clientSecret: 'g-secret', redirectUris: [callback],
      users: [{ sub: '42', email: 'gina@corp.example', emailVerified: true, hd: 'corp.example' }],
    })
    github = await startFakeGitHub({
      clientId: 'gh-client', clientSecret: 'gh-secret', callbackUrl: callback,
      users: [
        { id: 7, login: 'hubber', emails: [{ email: 'hub@example.com', primary: true, verified: true }], orgs: ['acme'], teams: [] },
        { id: 8, login: 'stranger', emails: [], orgs: ['elsewhere'], teams: [] },
      ],
    })
    h = await startHarness(
      [
        { id: 'corp', type: 'keycloak', displayName: 'Corp Keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'kc-secret', allowInsecureRequests: true },
        { id: 'sso', type: 'oidc', displayName: 'Partner SSO', issuer: realm.issuer, clientId: 'gatehouse-oidc', clientSecret: 'oidc-secret', allowInsecureRequests: true },
        { id: 'google', type: 'google', issuer: google.issuer, clientId: 'g-client', clientSecret: 'g-secret', hostedDomains: ['corp.example'], allowInsecureRequests: true },
        {
          id: 'github', type: 'github', baseUrl: github.origin, apiUrl: github.apiBase, clientId: 'gh-client', clientSecret: 'gh-secret',
          allowInsecureRequests: true, authorization: { groups: ['acme'] },
        },
      ],
      {},
      port,
    )
    // Four servers and four providers' discovery: no race, just work that outlasts the default 30 s under load.
  }, 90_000)
  afterAll(async () => {
    await h.close()
    await Promise.all([realm.close(), google.close(), github.close()])
  })

  it('lists every provider on /oauth2/sign_in as an accessible link, with no external assets', async () => {
    const res = await new CookieJarClient().get(`${h.url}/oauth2/sign_in`, HTML)
    expect(res.status).toBe(200)
    const labels = [...res.body.matchAll(/id="provider-([\w-]+)">Sign in with ([^<]+)</g)].map((m) => [m[1], m[2]])
    expect(labels).toEqual([['corp', 'Corp Keycloak'], ['sso', 'Partner SSO'], ['google', 'Google'], ['github', 'GitHub']])
    expect(res.body).toMatch(/<html lang="en">/)
    expect(res.body).toMatch(/<main\b/)
    expect(res.body).toMatch(/<nav aria-labelledby="title">/)
    expect(res.body).not.toMatch(/(src|href)="https?:\/\/(?!127\.0\.0\.1)/)
    expect(res.body).not.toMatch(/<script|<link /)
  })

  it.each([
    ['corp', { username: 'alice', password: 'alice' }, 'alice@example.com'],
    ['sso', { username: 'bob', password: 'bob' }, 'bob@example.com'],
    ['google', undefined, 'gina@corp.example'],
    ['github', undefined, 'hub@example.com'],
  ])('logs in through %s and the session records that provider', async (id, realmUser, email) => {
    const browser = new CookieJarClient()
    const res = await loginVia(browser, h, id, realmUser)
    expect(res.status).toBe(302)
    expect(res.location).toBe('http://app.example.test/')
    const me = await userinfo(browser, h)
    expect(me.body).toMatchObject({ provider: id, email })
  })

  it('applies per-provider authorization to that provider only', async () => {
    github.nextLogin('stranger')
    const browser = new CookieJarClient()
    expect((await loginVia(browser, h, 'github')).status).toBe(403)
    expect((await userinfo(browser, h)).status).toBe(401)
  })

  it('rejects an unknown provider id at /oauth2/start', async () => {
    const res = await new CookieJarClient().get(`${h.url}/oauth2/start?provider=nope`, HTML)
    expect(res.status).toBe(400)
  })
})
