import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { startFakeGoogle, type FakeGoogle } from '../fakes/google.js'
import { startHarness, type Harness } from './providers-harness.js'

describe('Google ID tokens as bearer tokens (opt-in)', () => {
  let fake: FakeGoogle
  let h: Harness
  const auth = (token: string) => request(h.url).get('/oauth2/auth').set('Authorization', `Bearer ${token}`)
  const user = { sub: 'g-1', email: 'ann@corp.example', email_verified: true, hd: 'corp.example' }

  beforeAll(async () => {
    fake = await startFakeGoogle({ clientId: 'g-client', clientSecret: 'g-secret', users: [] })
    const base = { type: 'google', clientId: 'g-client', clientSecret: 'g-secret', issuer: fake.issuer, allowInsecureRequests: true }
    h = await startHarness([{ ...base, id: 'workspace', hostedDomains: ['corp.example'], bearer: { enabled: true } }])
  })
  afterAll(async () => {
    await h.close()
    await fake.close()
  })

  it('accepts an ID token for the client id, with the login checks', async () => {
    const res = await auth(await fake.signIdToken(user))
    expect(res.status).toBe(202)
    expect(res.headers['x-auth-request-email']).toBe('ann@corp.example')
  })

  it('accepts the scheme-less issuer spelling', async () => {
    fake.setBareIssuer(true)
    try {
      expect((await auth(await fake.signIdToken(user))).status).toBe(202)
    } finally {
      fake.setBareIssuer(false)
    }
  })

  it('refuses another hosted domain (403) and another audience (401)', async () => {
    expect((await auth(await fake.signIdToken({ ...user, hd: 'other.example', email: 'x@other.example' }))).status).toBe(403)
    expect((await auth(await fake.signIdToken({ ...user, aud: 'someone-else', azp: 'g-client' }))).status).toBe(401)
  })
})
