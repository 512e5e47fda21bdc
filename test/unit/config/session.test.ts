import { describe, expect, it } from '@jest/globals'
import { buildConfig } from '../../../src/config/load.js'
import { ConfigError } from '../../../src/errors.js'

const base = (session?: unknown) => ({
  server: { publicUrl: 'https://auth.example.com' },
  cookie: { secret: 'a'.repeat(43) },
  providers: [{ id: 'corp', type: 'keycloak', issuer: 'https://id.example.com/realms/x', clientId: 'c', clientSecret: 's' }],
  authorization: {},
  ...(session === undefined ? {} : { session }),
})

const problems = async (session: unknown): Promise<string[]> => {
  try {
    await buildConfig(base(session))
    return []
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
}

describe('session: config block', () => {
  it('defaults to the cookie store, 5 minute refresh, no Redis', async () => {
    const c = await buildConfig(base())
    expect(c.session).toEqual({ store: 'cookie', refreshSeconds: 300, redis: undefined })
  })

  it('reads refresh "0" as off, and a full redis block', async () => {
    const c = await buildConfig(base({ store: 'redis', refresh: '0', redis: { url: 'rediss://:pw@redis:6380/1', password: 'x', keyPrefix: 'gh:' } }))
    expect(c.session.refreshSeconds).toBe(0)
    expect(c.session.redis).toMatchObject({ url: 'rediss://:pw@redis:6380/1', password: 'x', keyPrefix: 'gh:', commandTimeoutMs: 1000, sentinels: [], cluster: [] })
    const s = await buildConfig(base({ redis: { sentinels: ['10.0.0.1:26379', '[::1]:26379'], masterName: 'mymaster' } }))
    expect(s.session.redis!.sentinels).toEqual([{ host: '10.0.0.1', port: 26379 }, { host: '::1', port: 26379 }])
  })

  it.each([
    [{ store: 'redis' }, 'session.redis'],
    [{ store: 'memcached' }, 'session.store'],
    [{ refresh: 'soon' }, 'session.refresh'],
    [{ redis: { url: 'http://redis:6379' } }, 'session.redis.url'],
    [{ redis: { url: 'redis://a:1', cluster: ['b:2'] } }, 'session.redis'],
    [{ redis: {} }, 'session.redis'],
    [{ redis: { sentinels: ['a:1'] } }, 'session.redis.masterName'],
    [{ redis: { cluster: ['no-port'] } }, 'session.redis.cluster'],
    [{ redis: { url: 'redis://a:1', unknown: 1 } }, 'session.redis'],
  ])('refuses %j with a problem at %s', async (session, key) => {
    expect((await problems(session)).some((p) => p.startsWith(key))).toBe(true)
  })
})
