import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { get } from 'node:http'
import { startFakeGitHub, type FakeGitHub, type FakeGitHubUser } from '../fakes/github.js'

const CALLBACK = 'http://app.test/oauth2/callback'
const manyOrgs = Array.from({ length: 75 }, (_, i) => `org-${String(i).padStart(2, '0')}`)
const users: FakeGitHubUser[] = [
  {
    id: 101, login: 'octocat', name: 'Mona', publicEmail: null,
    emails: [
      { email: 'old@example.com', primary: false, verified: true },
      { email: 'mona@example.com', primary: true, verified: true },
      { email: 'unverified@example.com', primary: false, verified: false },
    ],
    orgs: ['acme', 'beta'], teams: [{ org: 'acme', slug: 'ops' }, { org: 'beta', slug: 'devs' }], orgState: { beta: 'pending' },
  },
  { id: 102, login: 'hubot', emails: [{ email: 'hubot@example.com', primary: true, verified: false }], orgs: manyOrgs, teams: [] },
  { id: 103, login: 'outsider', emails: [], orgs: [], teams: [] },
]

async function authorize(gh: FakeGitHub, params: Record<string, string> = {}) {
  const url = new URL('/login/oauth/authorize', gh.origin)
  const q = { client_id: 'cid', redirect_uri: CALLBACK, state: 'st', scope: 'read:user user:email read:org', ...params }
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v)
  const res = await fetch(url, { redirect: 'manual' })
  return { status: res.status, location: new URL(res.headers.get('location') ?? 'about:blank') }
}

async function exchange(gh: FakeGitHub, form: Record<string, string>, json = true) {
  const res = await fetch(`${gh.origin}/login/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(json ? { accept: 'application/json' } : {}) },
    body: new URLSearchParams({ client_id: 'cid', client_secret: 'secret', redirect_uri: CALLBACK, ...form }),
  })
  expect(res.status).toBe(200)
  return json ? (await res.json()) as Record<string, any> : Object.fromEntries(new URLSearchParams(await res.text()))
}

function api(base: string, path: string, token?: string, init: RequestInit = {}) {
  return fetch(base + path, {
    redirect: 'manual', ...init,
    headers: { 'user-agent': 'gatehouse-test', accept: 'application/vnd.github+json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) },
  })
}

describe('fake GitHub, OAuth App mode', () => {
  let gh: FakeGitHub
  beforeAll(async () => { gh = await startFakeGitHub({ clientId: 'cid', clientSecret: 'secret', users, callbackUrl: CALLBACK }) })
  afterAll(() => gh.close())

  it('redirects with code and state but no iss, and answers form-encoded by default', async () => {
    const { status, location } = await authorize(gh)
    expect(status).toBe(302)
    expect(location.searchParams.get('state')).toBe('st')
    expect(location.searchParams.get('code')).toMatch(/^[0-9a-f]{20}$/)
    expect(location.searchParams.has('iss')).toBe(false)
    const body = await exchange(gh, { code: location.searchParams.get('code')! }, false)
    expect(body).toEqual({ access_token: expect.stringMatching(/^gho_[A-Za-z0-9]{36}$/), token_type: 'bearer', scope: 'read:user,user:email,read:org' })
  })

  it('answers JSON with Accept: application/json, without expiry or refresh token', async () => {
    const { location } = await authorize(gh, { scope: 'read:user' })
    const body = await exchange(gh, { code: location.searchParams.get('code')! })
    expect(Object.keys(body).sort()).toEqual(['access_token', 'scope', 'token_type'])
    expect(body.scope).toBe('read:user')
  })

  it('reports token errors with HTTP 200: replayed, wrong and expired codes, credentials, redirect_uri', async () => {
    const code = (await authorize(gh)).location.searchParams.get('code')!
    expect((await exchange(gh, { code, client_secret: 'nope' })).error).toBe('incorrect_client_credentials')
    expect((await exchange(gh, { code })).access_token).toMatch(/^gho_/)
    const replay = await exchange(gh, { code })
    expect(replay).toEqual({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: expect.stringContaining('bad-verification-code') })
    expect((await exchange(gh, { code: 'garbage' })).error).toBe('bad_verification_code')
    const form = await exchange(gh, { code: 'garbage' }, false)
    expect(form.error).toBe('bad_verification_code')

    const other = (await authorize(gh, { redirect_uri: `${CALLBACK}/sub` })).location.searchParams.get('code')!
    expect((await exchange(gh, { code: other })).error).toBe('redirect_uri_mismatch')

    const stale = (await authorize(gh)).location.searchParams.get('code')!
    gh.advanceTime(10 * 60_000 + 1)
    expect((await exchange(gh, { code: stale })).error).toBe('bad_verification_code')
    expect((await exchange(gh, { grant_type: 'refresh_token', refresh_token: 'ghr_x' })).error).toBe('bad_refresh_token')
  })

  it('enforces a PKCE S256 challenge at token time', async () => {
    const verifier = 'v'.repeat(50)
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const first = (await authorize(gh, { code_challenge: challenge, code_challenge_method: 'S256' })).location.searchParams.get('code')!
    expect((await exchange(gh, { code: first, code_verifier: 'w'.repeat(50) })).error).toBe('bad_verification_code')
    const second = (await authorize(gh, { code_challenge: challenge, code_challenge_method: 'S256' })).location.searchParams.get('code')!
    expect((await exchange(gh, { code: second })).error).toBe('bad_verification_code')
    const third = (await authorize(gh, { code_challenge: challenge, code_challenge_method: 'S256' })).location.searchParams.get('code')!
    expect((await exchange(gh, { code: third, code_verifier: verifier })).access_token).toMatch(/^gho_/)
    const plain = await authorize(gh, { code_challenge: verifier, code_challenge_method: 'plain' })
    expect(plain.location.searchParams.get('error')).toBe('invalid_request')
  })

  it('sends error redirects with description, uri and state, and rejects foreign redirect URIs', async () => {
    gh.nextAuthorizeError('access_denied')
    const denied = (await authorize(gh)).location
    expect(denied.origin + denied.pathname).toBe(CALLBACK)
    expect(denied.searchParams.get('error')).toBe('access_denied')
    expect(denied.searchParams.get('error_description')).toBeTruthy()
    expect(denied.searchParams.get('error_uri')).toContain('access-denied')
    expect(denied.searchParams.get('state')).toBe('st')
    expect((await authorize(gh)).location.searchParams.has('code')).toBe(true)

    const mismatch = (await authorize(gh, { redirect_uri: 'http://evil.test/cb' })).location
    expect(mismatch.origin).toBe('http://app.test')
    expect(mismatch.searchParams.get('error')).toBe('redirect_uri_mismatch')
    expect((await authorize(gh, { client_id: 'other' })).status).toBe(404)
  })

  it('approves the user chosen with nextLogin', async () => {
    gh.nextLogin('hubot')
    const code = (await authorize(gh)).location.searchParams.get('code')!
    const { access_token } = await exchange(gh, { code })
    expect(await (await api(gh.apiBase, '/user', access_token)).json()).toMatchObject({ login: 'hubot', id: 102, email: null })
  })

  it('serves /user on the root and GHES /api/v3 bases, with scopes and rate-limit headers', async () => {
    const token = gh.tokenFor('octocat')
    for (const base of [gh.apiBase, gh.gheApiBase]) {
      const res = await api(base, '/user', token)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ login: 'octocat', id: 101, name: 'Mona', email: null, type: 'User' })
      expect(res.headers.get('x-oauth-scopes')).toBe('read:user, user:email, read:org')
      for (const h of ['limit', 'remaining', 'used', 'reset', 'resource']) expect(res.headers.get(`x-ratelimit-${h}`)).toBeTruthy()
    }
    const a = await api(gh.apiBase, '/user', token)
    const b = await api(gh.apiBase, '/user', token)
    expect(a.headers.get('x-ratelimit-limit')).toBe('5000')
    expect(Number(b.headers.get('x-ratelimit-remaining'))).toBe(Number(a.headers.get('x-ratelimit-remaining')) - 1)
    expect(Number(b.headers.get('x-ratelimit-used'))).toBe(Number(a.headers.get('x-ratelimit-used')) + 1)
  })

  it('requires a User-Agent and valid credentials', async () => {
    const token = gh.tokenFor('octocat')
    // fetch always sends `User-Agent: node`, so go through node:http, which sends none
    const bare = await new Promise<number>((resolve, reject) =>
      get(`${gh.apiBase}/user`, { headers: { authorization: `token ${token}` } }, (res) => { res.resume(); resolve(res.statusCode!) }).on('error', reject))
    expect(bare).toBe(403)
    expect((await api(gh.apiBase, '/user', undefined, { headers: { authorization: `token ${token}` } })).status).toBe(200)
    expect((await api(gh.apiBase, '/user')).status).toBe(401)
    const bad = await api(gh.apiBase, '/user', 'gho_unknown')
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({ message: 'Bad credentials', documentation_url: expect.any(String) })
    expect(bad.headers.get('x-ratelimit-limit')).toBe('60')
    gh.revoke(token)
    expect((await api(gh.gheApiBase, '/user', token)).status).toBe(401)
  })

  it('answers 403 with X-Accepted-OAuth-Scopes when a scope is missing', async () => {
    const token = gh.tokenFor('octocat', ['read:user'])
    const res = await api(gh.apiBase, '/user/emails', token)
    expect(res.status).toBe(403)
    expect(res.headers.get('x-oauth-scopes')).toBe('read:user')
    expect(res.headers.get('x-accepted-oauth-scopes')).toContain('user:email')
    expect((await api(gh.apiBase, '/user/teams', token)).status).toBe(403)
  })

  it('lists primary, secondary and unverified emails', async () => {
    const emails = await (await api(gh.apiBase, '/user/emails', gh.tokenFor('octocat'))).json() as any[]
    expect(emails).toHaveLength(3)
    expect(emails.filter((e) => e.primary && e.verified).map((e) => e.email)).toEqual(['mona@example.com'])
    expect(emails.find((e) => e.email === 'unverified@example.com')).toEqual({ email: 'unverified@example.com', primary: false, verified: false, visibility: null })
    const hubot = await (await api(gh.apiBase, '/user/emails', gh.tokenFor('hubot'))).json() as any[]
    expect(hubot).toEqual([{ email: 'hubot@example.com', primary: true, verified: false, visibility: 'private' }])
  })

  it('paginates /user/orgs with per_page, page and a Link header', async () => {
    const token = gh.tokenFor('hubot')
    const first = await api(gh.apiBase, '/user/orgs', token)
    expect((await first.json() as any[]).map((o) => o.login)).toEqual(manyOrgs.slice(0, 30))
    const link = first.headers.get('link')!
    expect(link).toContain(`<${gh.apiBase}/user/orgs?per_page=30&page=2>; rel="next"`)
    expect(link).toContain(`<${gh.apiBase}/user/orgs?per_page=30&page=3>; rel="last"`)

    const last = await api(gh.gheApiBase, '/user/orgs?per_page=30&page=3', token)
    expect(await last.json()).toHaveLength(15)
    expect(last.headers.get('link')).toContain(`<${gh.gheApiBase}/user/orgs?per_page=30&page=2>; rel="prev"`)
    expect(last.headers.get('link')).not.toContain('rel="next"')

    const capped = await api(gh.apiBase, '/user/orgs?per_page=500', token)
    expect(await capped.json()).toHaveLength(75)
    expect(capped.headers.get('link')).toBeNull()
    const two = await api(gh.apiBase, '/user/orgs?per_page=50', token)
    expect(two.headers.get('link')).toContain('page=2>; rel="last"')
  })

  it('lists teams with slug and organization.login, skipping pending orgs', async () => {
    const teams = await (await api(gh.apiBase, '/user/teams', gh.tokenFor('octocat'))).json() as any[]
    expect(teams.map((t) => `${t.organization.login}:${t.slug}`)).toEqual(['acme:ops'])
    const orgs = await (await api(gh.apiBase, '/user/orgs', gh.tokenFor('octocat'))).json() as any[]
    expect(orgs.map((o) => o.login)).toEqual(['acme'])
  })

  it('answers membership calls with 200/204/302/404 and active/pending states', async () => {
    const mona = gh.tokenFor('octocat')
    const acme = await api(gh.apiBase, '/user/memberships/orgs/acme', mona)
    expect(acme.status).toBe(200)
    expect(await acme.json()).toMatchObject({ state: 'active', role: 'member', organization: { login: 'acme' } })
    expect(await (await api(gh.apiBase, '/user/memberships/orgs/beta', mona)).json()).toMatchObject({ state: 'pending' })
    expect((await api(gh.apiBase, '/user/memberships/orgs/nope', mona)).status).toBe(404)

    expect((await api(gh.apiBase, '/orgs/acme/members/octocat', mona)).status).toBe(204)
    expect((await api(gh.apiBase, '/orgs/acme/members/outsider', mona)).status).toBe(404)
    const redirect = await api(gh.gheApiBase, '/orgs/acme/members/octocat', gh.tokenFor('outsider'))
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe(`${gh.gheApiBase}/orgs/acme/public_members/octocat`)

    const team = await api(gh.apiBase, '/orgs/acme/teams/ops/memberships/octocat', mona)
    expect(team.status).toBe(200)
    expect(await team.json()).toMatchObject({ role: 'member', state: 'active' })
    expect(await (await api(gh.apiBase, '/orgs/beta/teams/devs/memberships/octocat', mona)).json()).toMatchObject({ state: 'pending' })
    expect((await api(gh.apiBase, '/orgs/acme/teams/ops/memberships/hubot', mona)).status).toBe(404)
  })

  it('exhausts the rate limit with 403 or 429 and remaining 0', async () => {
    const token = gh.tokenFor('octocat')
    for (const mode of ['403', '429'] as const) {
      gh.rateLimit(mode)
      const res = await api(gh.apiBase, '/user', token)
      expect(res.status).toBe(Number(mode))
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0')
      expect(res.headers.get('x-ratelimit-used')).toBe('5000')
      expect(((await res.json()) as any).message).toMatch(/^API rate limit exceeded/)
    }
    gh.rateLimit('off')
    expect((await api(gh.apiBase, '/user', token)).status).toBe(200)
  })

  it('counts served API calls per path prefix', async () => {
    const token = gh.tokenFor('octocat')
    const before = gh.requestCount('/user/teams')
    const all = gh.requestCount()
    await api(gh.apiBase, '/user/teams', token)
    await api(gh.gheApiBase, '/user/teams', token)
    await api(gh.apiBase, '/user', token)
    expect(gh.requestCount('/user/teams')).toBe(before + 2)
    expect(gh.requestCount('/api/v3/user/teams')).toBe(before + 2)
    expect(gh.requestCount()).toBe(all + 3)
  })

  it('deletes a token through DELETE /applications/{client_id}/token with Basic auth', async () => {
    const token = gh.tokenFor('octocat')
    const del = (auth: string) => api(gh.apiBase, '/applications/cid/token', undefined, {
      method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: token }),
    })
    expect((await del('cid:wrong')).status).toBe(401)
    expect((await del('cid:secret')).status).toBe(204)
    expect((await api(gh.apiBase, '/user', token)).status).toBe(401)
    expect((await del('cid:secret')).status).toBe(404)
  })
})

describe('fake GitHub, GitHub App mode', () => {
  let gh: FakeGitHub
  beforeAll(async () => { gh = await startFakeGitHub({ clientId: 'cid', clientSecret: 'secret', users, appMode: true }) })
  afterAll(() => gh.close())

  it('issues expiring ghu_/ghr_ pairs and rotation kills the old pair', async () => {
    const code = (await authorize(gh)).location.searchParams.get('code')!
    const first = await exchange(gh, { code })
    expect(first).toEqual({
      access_token: expect.stringMatching(/^ghu_/), expires_in: 28800, refresh_token: expect.stringMatching(/^ghr_/),
      refresh_token_expires_in: 15811200, scope: '', token_type: 'bearer',
    })
    expect((await api(gh.apiBase, '/user/teams', first.access_token)).status).toBe(200)

    const second = await exchange(gh, { grant_type: 'refresh_token', refresh_token: first.refresh_token })
    expect(second.access_token).toMatch(/^ghu_/)
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect((await api(gh.apiBase, '/user', first.access_token)).status).toBe(401)
    expect((await exchange(gh, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).error).toBe('bad_refresh_token')
    expect((await api(gh.apiBase, '/user', second.access_token)).status).toBe(200)

    gh.advanceTime(28800_000 + 1)
    expect((await api(gh.apiBase, '/user', second.access_token)).status).toBe(401)
    expect((await exchange(gh, { grant_type: 'refresh_token', refresh_token: second.refresh_token })).access_token).toMatch(/^ghu_/)
  })
})
