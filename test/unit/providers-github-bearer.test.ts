import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import github from '../../providers/github/index.js'
import { GitHubTokenRejectedError } from '../../providers/github/errors.js'
import { ForbiddenError, IdpRateLimitedError } from '../../src/errors.js'
import { createLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { NotResponsible, type Provider } from '../../src/plugin.js'
import { startFakeGitHub, type FakeGitHub } from '../fakes/github.js'

describe('GitHub verifyBearer', () => {
  let fake: FakeGitHub
  let provider: Provider
  const metrics = createMetrics({ defaultMetrics: false })
  beforeAll(async () => {
    fake = await startFakeGitHub({
      clientId: 'c', clientSecret: 's',
      users: [
        { id: 1, login: 'member', emails: [{ email: 'm@example.com', primary: true, verified: true }], orgs: ['acme'], teams: [{ org: 'acme', slug: 'sre' }] },
        { id: 2, login: 'stranger', emails: [], orgs: [], teams: [] },
      ],
    })
    const parsed = github.parseOptions({ clientId: 'c', clientSecret: 's', baseUrl: fake.origin, apiUrl: fake.apiBase, allowInsecureRequests: true, orgs: ['acme'] })
    if (!parsed.ok) throw new Error(parsed.errors.join())
    provider = github.create('gh', parsed.options, {
      logger: createLogger('silent'), metrics, clockSkewSeconds: 30,
    })
  })
  afterAll(() => fake.close())

  it('declines tokens that are not GitHub user tokens', async () => {
    for (const t of ['eyJhbGciOiJSUzI1NiJ9.e30.sig', 'ghr_refreshtoken', 'ghs_installation', 'random', 'gho_bad!chars']) {
      expect(await provider.verifyBearer!(t)).toBe(NotResponsible)
    }
  })

  it('resolves a token through the API once, then from the cache (keyed by its hash)', async () => {
    const token = fake.tokenFor('member')
    const first = await provider.verifyBearer!(token)
    expect(first).toMatchObject({ subject: '1', user: 'member', email: 'm@example.com', groups: ['acme', 'acme:sre'], provider: 'gh' })
    const calls = fake.requestCount()
    for (let i = 0; i < 5; i++) expect(await provider.verifyBearer!(token)).toEqual(first)
    expect(fake.requestCount()).toBe(calls)
  })

  it('applies the same restrictions as the login, and remembers the refusal', async () => {
    const token = fake.tokenFor('stranger')
    await expect(provider.verifyBearer!(token)).rejects.toBeInstanceOf(ForbiddenError)
    const calls = fake.requestCount()
    await expect(provider.verifyBearer!(token)).rejects.toBeInstanceOf(ForbiddenError)
    expect(fake.requestCount()).toBe(calls)
  })

  it('rejects a revoked token', async () => {
    const token = fake.tokenFor('member')
    fake.revoke(token)
    await expect(provider.verifyBearer!(token)).rejects.toBeInstanceOf(GitHubTokenRejectedError)
  })

  it('reports rate limiting as such, with the metric, and does not cache it', async () => {
    const token = fake.tokenFor('member')
    fake.rateLimit('429')
    await expect(provider.verifyBearer!(token)).rejects.toBeInstanceOf(IdpRateLimitedError)
    fake.rateLimit('off')
    expect(await provider.verifyBearer!(token)).toMatchObject({ user: 'member' })
    const text = await metrics.registry.getSingleMetricAsString('gatehouse_idp_requests_total')
    expect(text).toMatch(/provider="gh",operation="user",result="rate_limited"\} 1/)
  })
})
