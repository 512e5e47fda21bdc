import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CookieJarClient } from '../fakes/browser.js'
import { startFakeGitHub, type FakeGitHub, type FakeGitHubUser } from '../fakes/github.js'
import { freePort } from '../helpers/stack.js'
import { HTML, idpMetric, loginVia, reachCallback, startHarness, startLinkFor, userinfo, type Harness } from './providers-harness.js'

const email = (address: string, primary: boolean, verified: boolean) => ({ email: address, primary, verified })
const USERS: FakeGitHubUser[] = [
  // 130 orgs: more than one page of /user/orgs at per_page=100
  { id: 101, login: 'Octocat', name: 'Mona', emails: [email('secondary@example.com', false, true), email('Mona@Example.com', true, true)],
    orgs: ['acme', ...Array.from({ length: 129 }, (_, i) => `org${i}`)], teams: [{ org: 'acme', slug: 'sre' }] },
  { id: 102, login: 'outsider', emails: [email('out@example.com', true, false), email('verified-secondary@example.com', false, true)], orgs: ['other'], teams: [] },
  { id: 103, login: 'teamless', emails: [email('t@example.com', true, true)], orgs: ['beta'], teams: [{ org: 'beta', slug: 'dev' }] },
  { id: 104, login: 'pending', emails: [email('p@example.com', true, true)], orgs: ['acme'], orgState: { acme: 'pending' }, teams: [] },
  { id: 105, login: 'vip', emails: [email('v@example.com', true, true)], orgs: [], teams: [] },
]

const entry = (fake: FakeGitHub, extra: Record<string, unknown> = {}) => ({
  id: 'gh', type: 'github', clientId: 'gh-client', clientSecret: 'gh-secret',
  baseUrl: fake.origin, apiUrl: fake.apiBase, allowInsecureRequests: true, ...extra,
})

describe('GitHub provider: login through the OAuth web flow', () => {
  let fake: FakeGitHub
  let open: Harness
  beforeAll(async () => {
    fake = await startFakeGitHub({ clientId: 'gh-client', clientSecret: 'gh-secret', users: USERS })
    // a second provider so that /oauth2/sign_in shows buttons instead of redirecting
    open = await startHarness([entry(fake), entry(fake, { id: 'gh-ghes', apiUrl: fake.gheApiBase })])
  })
  afterAll(async () => {
    await open.close()
    await fake.close()
  })

  it('logs in with PKCE; identity from /user, primary verified email, paginated orgs and teams as groups', async () => {
    const browser = new CookieJarClient()
    const start = await browser.get(await startLinkFor(browser, open, 'gh'), HTML)
    const authorize = new URL(start.location!)
    expect(authorize.origin + authorize.pathname).toBe(`${fake.origin}/login/oauth/authorize`)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(authorize.searchParams.get('scope')).toBe('read:user user:email read:org')
    const callback = await browser.get(await reachCallback(browser, open, start), HTML)
    expect(callback.status).toBe(302)
    expect(callback.location).toBe('http://app.example.test/')
    const me = await userinfo(browser, open)
    expect(me.body).toMatchObject({ user: 'Octocat', email: 'mona@example.com', provider: 'gh', preferredUsername: 'Octocat' })
    expect(me.body.groups).toContain('acme')
    expect(me.body.groups).toContain('acme:sre')
    expect(me.body.groups).toContain('org128')
    expect(me.body.groups).toHaveLength(131)
  })

  it('never takes an unverified primary or a secondary address as the email', async () => {
    const browser = new CookieJarClient()
    fake.nextLogin('outsider')
    expect((await loginVia(browser, open, 'gh')).status).toBe(302)
    expect((await userinfo(browser, open)).body).toMatchObject({ user: 'outsider', email: null })
  })

  it('works against a GitHub Enterprise Server API base (/api/v3)', async () => {
    const browser = new CookieJarClient()
    const before = fake.requestCount('/user')
    expect((await loginVia(browser, open, 'gh-ghes')).status).toBe(302)
    expect((await userinfo(browser, open)).body).toMatchObject({ user: 'Octocat', provider: 'gh-ghes' })
    expect(fake.requestCount('/user')).toBeGreaterThan(before)
  })

  it('shows a clear error page for an IdP error redirect (access_denied)', async () => {
    const browser = new CookieJarClient()
    fake.nextAuthorizeError('access_denied')
    const res = await loginVia(browser, open, 'gh')
    expect(res.status).toBe(403)
    expect(res.body).toContain('did not let you sign in')
  })

  it('treats the HTTP-200 bad_verification_code body as a failed sign-in', async () => {
    const browser = new CookieJarClient()
    const start = await browser.get(await startLinkFor(browser, open, 'gh'), HTML)
    const cb = new URL(await reachCallback(browser, open, start))
    cb.searchParams.set('code', 'not-the-code')
    const res = await browser.get(cb.href, HTML)
    expect(res.status).toBe(400)
    expect(res.body).toContain('Sign-in failed')
    expect((await userinfo(browser, open)).status).toBe(401)
  })

  it('treats incorrect_client_credentials (HTTP 200) as a failed sign-in', async () => {
    const h = await startHarness([entry(fake, { clientSecret: 'wrong' }), entry(fake, { id: 'other' })])
    try {
      const browser = new CookieJarClient()
      const res = await loginVia(browser, h, 'gh')
      expect(res.status).toBe(400)
      expect((await userinfo(browser, h)).status).toBe(401)
    } finally {
      await h.close()
    }
  })

  it('answers 502 when GitHub cannot be reached at the callback', async () => {
    const lonely = await startFakeGitHub({ clientId: 'gh-client', clientSecret: 'gh-secret', users: USERS })
    const h = await startHarness([entry(lonely), entry(lonely, { id: 'other' })])
    try {
      const browser = new CookieJarClient()
      const start = await browser.get(await startLinkFor(browser, h, 'gh'), HTML)
      const cb = await reachCallback(browser, h, start)
      await lonely.close()
      const res = await browser.get(cb, HTML)
      expect(res.status).toBe(502)
      expect(res.body).toContain('could not be reached')
    } finally {
      await h.close()
    }
  })

  it('rate limiting (403/429 with x-ratelimit-remaining: 0) gives a clear 502 page and a metric', async () => {
    for (const mode of ['403', '429'] as const) {
      const browser = new CookieJarClient()
      fake.rateLimit(mode)
      try {
        const res = await loginVia(browser, open, 'gh')
        expect(res.status).toBe(502)
        expect(res.body).toContain('rate-limiting')
      } finally {
        fake.rateLimit('off')
      }
    }
    expect(await idpMetric(open)).toMatch(/gatehouse_idp_requests_total\{[^}]*provider="gh"[^}]*result="rate_limited"[^}]*\} [1-9]/)
  })
})

describe('GitHub provider: restrictions', () => {
  let fake: FakeGitHub
  let h: Harness
  beforeAll(async () => {
    fake = await startFakeGitHub({ clientId: 'gh-client', clientSecret: 'gh-secret', users: USERS })
    h = await startHarness([
      entry(fake, { id: 'orgs', orgs: ['ACME'] }),
      entry(fake, { id: 'teams', teams: ['beta/dev'] }),
      entry(fake, { id: 'users', users: ['VIP'] }),
      entry(fake, { id: 'combo', orgs: ['acme'], users: ['vip'] }),
    ])
  })
  afterAll(async () => {
    await h.close()
    await fake.close()
  })

  const attempt = async (provider: string, login: string) => {
    fake.nextLogin(login)
    const browser = new CookieJarClient()
    const res = await loginVia(browser, h, provider)
    return { status: res.status, body: res.body, me: await userinfo(browser, h) }
  }

  it.each([
    ['orgs', 'Octocat', 302], ['orgs', 'outsider', 403], ['orgs', 'pending', 403], ['orgs', 'teamless', 403],
    ['teams', 'teamless', 302], ['teams', 'Octocat', 403],
    ['users', 'vip', 302], ['users', 'Octocat', 403],
    ['combo', 'vip', 302], ['combo', 'Octocat', 302], ['combo', 'outsider', 403],
  ])('%s: %s → %i', async (provider, login, status) => {
    const r = await attempt(provider, login)
    expect(r.status).toBe(status)
    if (status === 403) {
      expect(r.body).toContain('Access denied')
      expect(r.me.status).toBe(401)
    } else {
      expect(r.me.body.provider).toBe(provider)
    }
  })
})
