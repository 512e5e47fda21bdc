import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { sessionCookie } from '../helpers/session.js'

const baseConfig = async (secret: string, previousSecrets: string[] = []) => {
  const port = await freePort()
  return buildConfig({
    server: { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}` },
    cookie: { secret, previousSecrets },
    // An issuer nobody listens on: cookie checks must not need the IdP.
    providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
    authorization: {},
    logging: { level: 'silent' },
  })
}

describe('session cookies', () => {
  let gh: Gatehouse
  const secret = randomSecret()
  beforeAll(async () => {
    gh = await startGatehouse(await baseConfig(secret), { logger: createLogger('silent') })
  })
  afterAll(() => gh.close())

  const auth = (cookie: string) => request(gh.url).get('/oauth2/auth').set('Cookie', cookie)

  it('accepts a valid session and always sends all identity headers', async () => {
    const res = await auth(sessionCookie(gh.runtime(), { email: undefined, preferredUsername: undefined, groups: [] }))
    expect(res.status).toBe(202)
    for (const h of ['x-auth-request-user', 'x-auth-request-email', 'x-auth-request-groups', 'x-auth-request-preferred-username']) {
      expect(res.headers).toHaveProperty(h)
    }
    expect(res.headers['x-auth-request-email']).toBe('')
  })

  it.each([
    ['tampered', (v: string) => v.slice(0, 20) + (v[20] === 'A' ? 'B' : 'A') + v.slice(21)],
    ['truncated', (v: string) => v.slice(0, v.length - 10)],
    ['garbage', () => 'not-a-cookie'],
    ['empty', () => ''],
    ['wrong version', (v: string) => '2' + v.slice(1)],
  ])('treats a %s cookie as no session (401, never 500)', async (_name, mutate) => {
    const good = sessionCookie(gh.runtime()).split('=')
    const res = await auth(`_gatehouse=${mutate(good.slice(1).join('='))}`)
    expect(res.status).toBe(401)
    expect(res.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2\/start/)
  })

  it('treats an expired session as no session', async () => {
    const past = Math.floor(Date.now() / 1000) - 5
    const res = await auth(sessionCookie(gh.runtime(), {}, { expiresAt: past }))
    expect(res.status).toBe(401)
  })

  it('rejects a cookie sealed with a foreign key', async () => {
    const other = await startGatehouse(await baseConfig(randomSecret()), { logger: createLogger('silent') })
    try {
      const res = await auth(sessionCookie(other.runtime()))
      expect(res.status).toBe(401)
    } finally {
      await other.close()
    }
  })

  it('still reads cookies sealed with a previous secret after rotation', async () => {
    const rotated = await startGatehouse(await baseConfig(randomSecret(), [secret]), { logger: createLogger('silent') })
    try {
      const res = await request(rotated.url).get('/oauth2/auth').set('Cookie', sessionCookie(gh.runtime()))
      expect(res.status).toBe(202)
    } finally {
      await rotated.close()
    }
  })

  it('chunks large sessions and reads them back', async () => {
    const groups = Array.from({ length: 400 }, (_, i) => `group-number-${i}`)
    const cookie = sessionCookie(gh.runtime(), { groups })
    expect(cookie).toMatch(/^_gatehouse_0=.*; _gatehouse_1=/)
    const res = await auth(cookie)
    expect(res.status).toBe(202)
    expect(res.headers['x-auth-request-groups']).toBe(groups.join(','))
  })

  it('serves a repeated cookie from the cache without decrypting again', async () => {
    const cookie = sessionCookie(gh.runtime())
    await auth(cookie)
    const before = await gh.metrics.registry.getSingleMetricAsString('gatehouse_token_cache_events_total')
    await auth(cookie)
    const after = await gh.metrics.registry.getSingleMetricAsString('gatehouse_token_cache_events_total')
    const hits = (text: string) => Number(/cache="session",event="hit"} (\d+)/.exec(text)?.[1] ?? 0)
    const misses = (text: string) => Number(/cache="session",event="miss"} (\d+)/.exec(text)?.[1] ?? 0)
    expect(hits(after)).toBe(hits(before) + 1)
    expect(misses(after)).toBe(misses(before))
  })
})
