import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CookieJarClient } from '../fakes/browser.js'
import { startFakeGoogle, type FakeGoogle, type FakeGoogleUser } from '../fakes/google.js'
import { freePort } from '../helpers/stack.js'
import { HTML, loginVia, serviceAccountKey, startHarness, startLinkFor, userinfo, type Harness } from './providers-harness.js'

const USERS: FakeGoogleUser[] = [
  { sub: '1001', email: 'Alice@corp.example', emailVerified: true, hd: 'corp.example', name: 'Alice' },
  { sub: '1002', email: 'bob@corp.example', emailVerified: true, hd: 'corp.example' },
  { sub: '1003', email: 'carol@gmail.com', emailVerified: true },
  { sub: '1004', email: 'dave@corp.example', emailVerified: false, hd: 'corp.example' },
  { sub: '1005', email: 'eve@other.example', emailVerified: true, hd: 'other.example' },
]
const GROUPS = { 'staff@corp.example': ['alice@corp.example'], 'ops@corp.example': ['sre@corp.example'], 'sre@corp.example': ['alice@corp.example'] }

describe('Google provider', () => {
  let fake: FakeGoogle
  let issFake: FakeGoogle
  let h: Harness
  beforeAll(async () => {
    fake = await startFakeGoogle({ clientId: 'g-client', clientSecret: 'g-secret', users: USERS, groups: GROUPS })
    issFake = await startFakeGoogle({ clientId: 'g-client', clientSecret: 'g-secret', users: USERS, issParameter: true, bareIssuer: true })
    const base = { type: 'google', clientId: 'g-client', clientSecret: 'g-secret', issuer: fake.issuer, allowInsecureRequests: true }
    h = await startHarness([
      { ...base, id: 'workspace', hostedDomains: ['corp.example'] },
      { ...base, id: 'anyone' },
      { ...base, id: 'offline', refresh: true },
      {
        ...base, id: 'groups', groups: ['staff@corp.example', 'ops@corp.example', 'missing@corp.example'],
        serviceAccount: await serviceAccountKey(), adminEmail: 'admin@corp.example',
        directoryBaseUrl: fake.origin, directoryTokenUrl: `${fake.origin}/token`,
      },
      { ...base, id: 'iss-param', issuer: issFake.issuer },
      // the generic OIDC type has no alias for Google's scheme-less issuer
      { ...base, id: 'plain-oidc', type: 'oidc' },
    ])
  })
  afterAll(async () => {
    await h.close()
    await fake.close()
    await issFake.close()
  })

  const attempt = async (provider: string, sub: string, idp = fake) => {
    idp.nextLogin(sub)
    const browser = new CookieJarClient()
    const res = await loginVia(browser, h, provider)
    return { status: res.status, body: res.body, me: (await userinfo(browser, h)).body }
  }

  it('logs in a Workspace user; user is the verified email; the session records the provider', async () => {
    const r = await attempt('workspace', '1001')
    expect(r.status).toBe(302)
    expect(r.me).toMatchObject({ user: 'Alice@corp.example', email: 'alice@corp.example', provider: 'workspace', groups: [] })
    expect(fake.lastAuthorizeParams()?.get('hd')).toBe('corp.example')
  })

  it('asks for offline access and forced consent only when refresh is configured', async () => {
    await attempt('anyone', '1002')
    expect(fake.lastAuthorizeParams()?.has('access_type')).toBe(false)
    expect(fake.lastAuthorizeParams()?.has('prompt')).toBe(false)
    expect((await attempt('offline', '1002')).status).toBe(302)
    expect(fake.lastAuthorizeParams()?.get('access_type')).toBe('offline')
    expect(fake.lastAuthorizeParams()?.get('prompt')).toBe('consent')
  })

  it.each([
    ['workspace', '1003', 403, 'consumer account without hd'],
    ['workspace', '1005', 403, 'another hosted domain'],
    ['anyone', '1003', 302, 'consumer account without a domain restriction'],
    ['anyone', '1004', 403, 'unverified email'],
    ['workspace', '1004', 403, 'unverified email inside the domain'],
  ])('%s: user %s → %i (%s)', async (provider, sub, status) => {
    const r = await attempt(provider, sub)
    expect(r.status).toBe(status)
    if (status === 403) {
      expect(r.body).toContain('Access denied')
      expect(r.me).toBeUndefined()
    }
  })

  it('accepts the scheme-less issuer spelling in the ID token', async () => {
    fake.setBareIssuer(true)
    try {
      const r = await attempt('workspace', '1001')
      expect(r.status).toBe(302)
      expect(r.me.provider).toBe('workspace')
    } finally {
      fake.setBareIssuer(false)
    }
  })

  it('accepts it with the RFC 9207 iss parameter on the callback too', async () => {
    expect((await attempt('iss-param', '1002', issFake)).status).toBe(302)
  })

  it('the scheme-less spelling is accepted only where configured (generic oidc refuses it)', async () => {
    fake.setBareIssuer(true)
    try {
      expect((await attempt('plain-oidc', '1002')).status).toBe(400)
    } finally {
      fake.setBareIssuer(false)
    }
    expect((await attempt('plain-oidc', '1002')).status).toBe(302)
  })

  it('checks every configured group through the Directory API and exposes the memberships', async () => {
    const r = await attempt('groups', '1001')
    expect(r.status).toBe(302)
    // nested: alice is in sre@, which is in ops@
    expect(r.me.groups).toEqual(['staff@corp.example', 'ops@corp.example'])
  })

  it('refuses a user in none of the groups, and caches the answers', async () => {
    const r = await attempt('groups', '1002')
    expect(r.status).toBe(403)
    const calls = fake.directoryRequests()
    expect((await attempt('groups', '1002')).status).toBe(403)
    expect((await attempt('groups', '1001')).status).toBe(302)
    expect(fake.directoryRequests()).toBe(calls)
  })

  it('fails closed (502) when the Directory API cannot be reached; groups are never assumed', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`
    const g = await startHarness([
      {
        type: 'google', id: 'g', clientId: 'g-client', clientSecret: 'g-secret', issuer: fake.issuer, allowInsecureRequests: true,
        groups: ['staff@corp.example'], serviceAccount: await serviceAccountKey(), adminEmail: 'admin@corp.example',
        directoryBaseUrl: dead, directoryTokenUrl: `${fake.origin}/token`,
      },
      { type: 'google', id: 'other', clientId: 'g-client', clientSecret: 'g-secret', issuer: fake.issuer, allowInsecureRequests: true },
    ])
    try {
      fake.nextLogin('1001')
      const browser = new CookieJarClient()
      const res = await loginVia(browser, g, 'g')
      expect(res.status).toBe(502)
      expect((await userinfo(browser, g)).status).toBe(401)
    } finally {
      await g.close()
    }
  })

  it('answers 502 with a clear page when Google is unreachable', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`
    const g = await startHarness([
      { type: 'google', id: 'g', clientId: 'c', clientSecret: 's', issuer: dead, allowInsecureRequests: true },
      { type: 'google', id: 'other', clientId: 'c', clientSecret: 's', issuer: fake.issuer, allowInsecureRequests: true },
    ])
    try {
      const browser = new CookieJarClient()
      const res = await browser.get(await startLinkFor(browser, g, 'g'), HTML)
      expect(res.status).toBe(502)
      expect(res.body).toContain('could not be reached')
    } finally {
      await g.close()
    }
  })
})
