import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, type JSONWebKeySet } from 'jose'
import { startFakeGoogle, type FakeGoogle, type FakeGoogleUser } from '../fakes/google.js'

const CALLBACK = 'http://app.test/oauth2/callback'
const users: FakeGoogleUser[] = [
  { sub: '1001', email: 'alice@corp.example', emailVerified: true, hd: 'corp.example', name: 'Alice' },
  { sub: '1002', email: 'bob@gmail.com', emailVerified: true },
  { sub: '1003', email: 'carol@corp.example', emailVerified: false, hd: 'corp.example' },
]
const groups = {
  'admins@corp.example': ['alice@corp.example', 'nested@corp.example'],
  'nested@corp.example': ['carol@corp.example'],
  'empty@corp.example': [],
}

async function authorize(g: FakeGoogle, params: Record<string, string> = {}) {
  const url = new URL('/o/oauth2/v2/auth', g.origin)
  const q = { client_id: 'gid', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid email profile', state: 'st', nonce: 'n-1', ...params }
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v)
  const res = await fetch(url, { redirect: 'manual' })
  return { status: res.status, location: new URL(res.headers.get('location') ?? 'about:blank') }
}

async function token(g: FakeGoogle, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${g.origin}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ client_id: 'gid', client_secret: 'gsecret', redirect_uri: CALLBACK, grant_type: 'authorization_code', ...form }),
  })
  return { status: res.status, body: await res.json() as Record<string, any> }
}

async function login(g: FakeGoogle, params: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const code = (await authorize(g, params)).location.searchParams.get('code')!
  return token(g, { code, ...extra })
}

async function verify(g: FakeGoogle, jwt: string, issuer: string) {
  const jwks = await (await fetch(`${g.origin}/oauth2/v3/certs`)).json() as JSONWebKeySet
  return (await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer, audience: 'gid', algorithms: ['RS256'] })).payload
}

describe('fake Google', () => {
  let g: FakeGoogle
  beforeAll(async () => { g = await startFakeGoogle({ clientId: 'gid', clientSecret: 'gsecret', users, groups }) })
  afterAll(() => g.close())

  it('serves discovery with its origin as issuer and no logout endpoints', async () => {
    const d = await (await fetch(`${g.origin}/.well-known/openid-configuration`)).json() as Record<string, any>
    expect(g.issuer).toBe(g.origin)
    expect(d.issuer).toBe(g.origin)
    expect(d.authorization_endpoint).toBe(`${g.origin}/o/oauth2/v2/auth`)
    expect(d.jwks_uri).toBe(`${g.origin}/oauth2/v3/certs`)
    expect(d.end_session_endpoint).toBeUndefined()
    expect(d.authorization_response_iss_parameter_supported).toBeUndefined()
    expect(d.code_challenge_methods_supported).toEqual(['plain', 'S256'])
    const certs = await fetch(`${g.origin}/oauth2/v3/certs`)
    expect(certs.headers.get('cache-control')).toContain('max-age=')
    expect(((await certs.json()) as JSONWebKeySet).keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) })
  })

  it('records authorize params, ignores hd and redirects with code, state and full-URL scope', async () => {
    g.nextLogin('1002')
    const { status, location } = await authorize(g, { hd: 'corp.example', access_type: 'online', login_hint: 'x@y' })
    expect(status).toBe(302)
    expect(location.origin + location.pathname).toBe(CALLBACK)
    expect(location.searchParams.get('state')).toBe('st')
    expect(location.searchParams.get('code')).toMatch(/^4\/0A/)
    expect(location.searchParams.get('scope')).toBe('openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile')
    expect(location.searchParams.has('iss')).toBe(false)
    expect(location.searchParams.has('hd')).toBe(false)
    expect(g.lastAuthorizeParams()?.get('hd')).toBe('corp.example')
    expect(g.lastAuthorizeParams()?.get('login_hint')).toBe('x@y')
    expect((await authorize(g, { client_id: 'other' })).status).toBe(401)
  })

  it('issues ya29 tokens and an RS256 ID token with kid, nonce, hd and email_verified', async () => {
    const { status, body } = await login(g)
    expect(status).toBe(200)
    expect(body.access_token).toMatch(/^ya29\./)
    expect(body).toMatchObject({ expires_in: 3599, token_type: 'Bearer', scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile' })
    expect(body.refresh_token).toBeUndefined()
    expect(decodeProtectedHeader(body.id_token)).toMatchObject({ alg: 'RS256', kid: expect.any(String) })
    const claims = await verify(g, body.id_token, g.origin)
    expect(claims).toMatchObject({ sub: '1001', azp: 'gid', email: 'alice@corp.example', email_verified: true, hd: 'corp.example', nonce: 'n-1', name: 'Alice' })
    expect(claims.at_hash).toBe(createHash('sha256').update(body.access_token).digest().subarray(0, 16).toString('base64url'))

    g.nextLogin('1002')
    const consumer = await verify(g, (await login(g)).body.id_token, g.origin)
    expect(consumer.hd).toBeUndefined()
    g.nextLogin('1003')
    expect(await verify(g, (await login(g)).body.id_token, g.origin)).toMatchObject({ email_verified: false, hd: 'corp.example' })
  })

  it('switches between the URL issuer and the bare host issuer', async () => {
    g.setBareIssuer(true)
    const bare = (await login(g)).body.id_token
    g.setBareIssuer(false)
    const host = new URL(g.origin).host
    expect((await verify(g, bare, host)).iss).toBe(host)
    await expect(verify(g, bare, g.origin)).rejects.toThrow()
    expect((await verify(g, (await login(g)).body.id_token, g.origin)).iss).toBe(g.origin)
    const discovery = await (await fetch(`${g.origin}/.well-known/openid-configuration`)).json() as Record<string, any>
    expect(discovery.issuer).toBe(g.origin)
  })

  it('gives a refresh token only on first offline consent or prompt=consent, never on refresh', async () => {
    g.nextLogin('1003')
    const first = await login(g, { access_type: 'offline' })
    expect(first.body.refresh_token).toMatch(/^1\/\//)
    g.nextLogin('1003')
    expect((await login(g, { access_type: 'offline' })).body.refresh_token).toBeUndefined()
    g.nextLogin('1003')
    expect((await login(g, { prompt: 'consent' })).body.refresh_token).toBeUndefined()
    g.nextLogin('1003')
    const forced = await login(g, { access_type: 'offline', prompt: 'consent' })
    expect(forced.body.refresh_token).toMatch(/^1\/\//)

    const refreshed = await token(g, { grant_type: 'refresh_token', refresh_token: forced.body.refresh_token, code: '', redirect_uri: '' })
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.access_token).toMatch(/^ya29\./)
    expect(refreshed.body.refresh_token).toBeUndefined()
    expect((await verify(g, refreshed.body.id_token, g.origin)).sub).toBe('1003')
  })

  it('answers invalid_grant for bad or reused codes and invalid_client with 401', async () => {
    const code = (await authorize(g)).location.searchParams.get('code')!
    const wrongSecret = await token(g, { code: 'x', client_secret: 'nope' })
    expect(wrongSecret).toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'Unauthorized' } })
    expect((await token(g, { code: 'x', client_id: 'other' })).status).toBe(401)
    const basic = Buffer.from('gid:gsecret').toString('base64')
    const ok = await token(g, { code, client_id: '', client_secret: '' }, { authorization: `Basic ${basic}` })
    expect(ok.status).toBe(200)
    expect(await token(g, { code })).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } })
    expect((await token(g, { code: 'garbage' })).body.error).toBe('invalid_grant')
    const dead = await token(g, { grant_type: 'refresh_token', refresh_token: '1//nope' })
    expect(dead).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } })
  })

  it('checks PKCE S256 and plain', async () => {
    const verifier = 'v'.repeat(50)
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const s256 = { code_challenge: challenge, code_challenge_method: 'S256' }
    expect((await login(g, s256, { code_verifier: 'w'.repeat(50) })).body.error).toBe('invalid_grant')
    expect((await login(g, s256)).body.error).toBe('invalid_grant')
    expect((await login(g, s256, { code_verifier: verifier })).status).toBe(200)
    expect((await login(g, { code_challenge: verifier }, { code_verifier: verifier })).status).toBe(200)
  })

  it('serves userinfo and revokes the whole grant with POST /revoke', async () => {
    g.nextLogin('1002')
    const { body } = await login(g, { access_type: 'offline', prompt: 'consent' })
    const info = await fetch(`${g.origin}/v1/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } })
    expect(await info.json()).toEqual({ sub: '1002', email: 'bob@gmail.com', email_verified: true })

    expect((await fetch(`${g.origin}/revoke?token=${body.access_token}`)).status).toBe(405)
    const revoke = (t: string) => fetch(`${g.origin}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t }) })
    expect((await revoke(body.access_token)).status).toBe(200)
    expect((await revoke(body.access_token)).status).toBe(400)
    expect((await token(g, { grant_type: 'refresh_token', refresh_token: body.refresh_token })).body.error).toBe('invalid_grant')
    const denied = await fetch(`${g.origin}/v1/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } })
    expect(denied.status).toBe(401)
    expect(denied.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('signs arbitrary ID tokens with the served key', async () => {
    const jwt = await g.signIdToken({ sub: 'x', hd: 'other.example' })
    expect(await verify(g, jwt, g.origin)).toMatchObject({ sub: 'x', hd: 'other.example', aud: 'gid' })
  })

  describe('Directory API hasMember', () => {
    const has = (t: string | undefined, group: string, member: string) =>
      fetch(`${g.origin}/admin/directory/v1/groups/${encodeURIComponent(group)}/hasMember/${encodeURIComponent(member)}`, {
        headers: t ? { authorization: `Bearer ${t}` } : {},
      })

    it('accepts a token from the JWT-bearer grant and answers isMember, nested included', async () => {
      const { privateKey } = await generateKeyPair('RS256')
      const now = Math.floor(Date.now() / 1000)
      const assertion = await new SignJWT({ scope: 'https://www.googleapis.com/auth/admin.directory.group.readonly' })
        .setProtectedHeader({ alg: 'RS256' }).setIssuer('sa@proj.iam.gserviceaccount.com').setSubject('admin@corp.example')
        .setAudience(`${g.origin}/token`).setIssuedAt(now).setExpirationTime(now + 3600).sign(privateKey)
      const res = await fetch(`${g.origin}/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      })
      const sa = await res.json() as Record<string, any>
      expect(sa).toMatchObject({ access_token: expect.stringMatching(/^ya29\./), token_type: 'Bearer', expires_in: 3599 })

      const before = g.directoryRequests()
      expect(await (await has(sa.access_token, 'admins@corp.example', 'alice@corp.example')).json()).toEqual({ isMember: true })
      expect(await (await has(sa.access_token, 'admins@corp.example', 'carol@corp.example')).json()).toEqual({ isMember: true })
      expect(await (await has(sa.access_token, 'empty@corp.example', 'alice@corp.example')).json()).toEqual({ isMember: false })
      expect(g.directoryRequests()).toBe(before + 3)

      const noSub = await new SignJWT({ scope: 'x' }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)
      const bad = await fetch(`${g.origin}/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: noSub }),
      })
      expect(bad.status).toBe(400)
    })

    it('answers 400 Invalid input cross-domain, 404 for unknown groups, 401 without a directory token', async () => {
      const t = g.directoryToken()
      const cross = await has(t, 'admins@corp.example', 'bob@gmail.com')
      expect(cross.status).toBe(400)
      expect(((await cross.json()) as any).error.message).toMatch(/^Invalid input/)
      expect((await has(t, 'ghost@corp.example', 'alice@corp.example')).status).toBe(404)
      expect((await has(undefined, 'admins@corp.example', 'alice@corp.example')).status).toBe(401)
      const user = (await login(g)).body.access_token
      expect((await has(user, 'admins@corp.example', 'alice@corp.example')).status).toBe(401)
    })
  })
})

describe('fake Google options', () => {
  it('starts with the bare issuer and can advertise the iss callback parameter', async () => {
    const g = await startFakeGoogle({ clientId: 'gid', clientSecret: 'gsecret', users, bareIssuer: true, issParameter: true, redirectUris: [CALLBACK] })
    try {
      const d = await (await fetch(`${g.origin}/.well-known/openid-configuration`)).json() as Record<string, any>
      expect(d.authorization_response_iss_parameter_supported).toBe(true)
      const { location } = await authorize(g)
      expect(location.searchParams.get('iss')).toBe(g.origin)
      const code = location.searchParams.get('code')!
      const { body } = await token(g, { code })
      expect((await verify(g, body.id_token, new URL(g.origin).host)).iss).toBe(new URL(g.origin).host)
      expect((await authorize(g, { redirect_uri: 'http://evil.test/cb' })).status).toBe(400)
      const stale = (await authorize(g)).location.searchParams.get('code')!
      g.advanceTime(600_001)
      expect((await token(g, { code: stale })).body.error).toBe('invalid_grant')
    } finally {
      await g.close()
    }
  })
})
