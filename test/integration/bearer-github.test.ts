import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { startFakeGitHub, type FakeGitHub } from '../fakes/github.js'
import { startHarness, type Harness } from './providers-harness.js'

describe('opaque GitHub tokens as bearer tokens', () => {
  let fake: FakeGitHub
  let h: Harness
  const auth = (token: string) => request(h.url).get('/oauth2/auth').set('Authorization', `Bearer ${token}`)

  beforeAll(async () => {
    fake = await startFakeGitHub({
      clientId: 'gh-client', clientSecret: 'gh-secret',
      users: [
        { id: 1, login: 'member', emails: [{ email: 'm@example.com', primary: true, verified: true }], orgs: ['acme'], teams: [{ org: 'acme', slug: 'sre' }] },
        { id: 2, login: 'stranger', emails: [{ email: 's@example.com', primary: true, verified: true }], orgs: ['other'], teams: [] },
      ],
    })
    h = await startHarness([
      { id: 'gh', type: 'github', clientId: 'gh-client', clientSecret: 'gh-secret', baseUrl: fake.origin, apiUrl: fake.apiBase, allowInsecureRequests: true, orgs: ['acme'] },
    ])
  })
  afterAll(async () => {
    await h.close()
    await fake.close()
  })

  it('accepts a token of a member of the allowed org, with org and team groups', async () => {
    const res = await auth(fake.tokenFor('member'))
    expect(res.status).toBe(202)
    expect(res.headers['x-auth-request-user']).toBe('member')
    expect(res.headers['x-auth-request-email']).toBe('m@example.com')
    expect(res.headers['x-auth-request-groups']).toBe('acme,acme:sre')
  })

  it('refuses a valid token of a user outside the allowed org (403, not invalid_token)', async () => {
    const res = await auth(fake.tokenFor('stranger'))
    expect(res.status).toBe(403)
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.headers['x-auth-request-user']).toBeUndefined()
  })

  it('answers a token GitHub rejects with 401 invalid_token', async () => {
    const res = await auth(`gho_${'x'.repeat(36)}`)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
  })

  it('does not call the GitHub API again for a cached token', async () => {
    const token = fake.tokenFor('member')
    expect((await auth(token)).status).toBe(202)
    const calls = fake.requestCount()
    for (let i = 0; i < 5; i++) expect((await auth(token)).status).toBe(202)
    expect(fake.requestCount()).toBe(calls)
  })

  it('applies query constraints to GitHub bearer identities too', async () => {
    const token = fake.tokenFor('member')
    expect((await request(h.url).get('/oauth2/auth?allowed_groups=acme:sre').set('Authorization', `Bearer ${token}`)).status).toBe(202)
    expect((await request(h.url).get('/oauth2/auth?allowed_groups=acme:dba').set('Authorization', `Bearer ${token}`)).status).toBe(403)
  })
})
