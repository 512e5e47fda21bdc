import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import type { Realm } from '../../dev/devidp/realm.js'
import type { Gatehouse } from '../../src/server.js'
import { startStack, type Stack } from '../helpers/stack.js'

async function metricValue(gh: Gatehouse, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = gh.metrics.registry.getSingleMetric(name)
  if (!metric) return 0
  const { values } = await metric.get()
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((s, v) => s + v.value, 0)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const claims = (realm: Realm, over: Record<string, unknown> = {}) => ({ sub: realm.subjectOf('alice'), azp: 'gatehouse', preferred_username: 'alice', ...over })

describe('verified-token cache for bearer tokens', () => {
  let stack: Stack
  const event = (e: string) => metricValue(stack.gatehouse, 'gatehouse_token_cache_events_total', { cache: 'bearer', event: e })
  const fetches = () => metricValue(stack.gatehouse, 'gatehouse_jwks_refresh_total', { provider: 'corp' })
  const auth = (token: string) => request(stack.url).get('/oauth2/auth').set('Authorization', `Bearer ${token}`)

  beforeAll(async () => {
    stack = await startStack({ config: { cache: { maxEntries: 1000, bearerMaxEntries: 3 } } })
  })
  afterAll(() => stack.close())

  it('coalesces 20 concurrent misses for one fresh token into one verification', async () => {
    const token = await stack.realm.signAccessToken(claims(stack.realm))
    const [miss, coalesced, hit] = [await event('miss'), await event('coalesced'), await event('hit')]
    const answers = await Promise.all(Array.from({ length: 20 }, () => auth(token)))
    for (const res of answers) expect(res.status).toBe(202)
    expect(await fetches()).toBe(1)
    expect((await event('miss')) - miss).toBe(1)
    expect((await event('coalesced')) - coalesced).toBeGreaterThan(0)
    expect((await event('coalesced')) - coalesced + (await event('hit')) - hit).toBe(19)
  })

  it('answers a cached token from the cache without verifying again', async () => {
    const token = await stack.realm.signAccessToken(claims(stack.realm, { preferred_username: 'cached' }))
    expect((await auth(token)).status).toBe(202)
    const [miss, hit] = [await event('miss'), await event('hit')]
    for (let i = 0; i < 5; i++) expect((await auth(token)).headers['x-auth-request-preferred-username']).toBe('cached')
    expect(await event('miss')).toBe(miss)
    expect((await event('hit')) - hit).toBe(5)
  })

  it('never serves a cached token past its exp', async () => {
    const token = await stack.realm.signAccessToken(claims(stack.realm), { expiresIn: 2 })
    expect((await auth(token)).status).toBe(202)
    expect((await auth(token)).status).toBe(202)
    await sleep(2100)
    const res = await auth(token)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
  })

  it('does not cache failures as successes, and remembers them only briefly', async () => {
    const bad = await stack.realm.signAccessToken(claims(stack.realm, { azp: 'other' }))
    expect((await auth(bad)).status).toBe(401)
    const negative = await event('negative_hit')
    expect((await auth(bad)).status).toBe(401)
    expect((await event('negative_hit')) - negative).toBe(1)
  })

  it('stays within bearerMaxEntries, counting evictions', async () => {
    const evicted = await event('evict')
    for (let i = 0; i < 6; i++) expect((await auth(await stack.realm.signAccessToken(claims(stack.realm, { jti: `t${i}` })))).status).toBe(202)
    expect(await metricValue(stack.gatehouse, 'gatehouse_token_cache_entries', { cache: 'bearer' })).toBeLessThanOrEqual(3)
    expect((await event('evict')) - evicted).toBeGreaterThanOrEqual(3)
  })
})
