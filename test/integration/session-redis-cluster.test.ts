import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { signIn } from '../helpers/login.js'
import { startRedis, startRedisCluster, startRedisSentinel, type RedisCluster, type RedisServer } from '../helpers/redis.js'
import { sleep, waitFor } from '../helpers/wait.js'
import { freePort, startStack, type Stack } from '../helpers/stack.js'


/** A Gatehouse stack plus a second instance with the same secret and session settings. */
async function pair(session: Record<string, unknown>): Promise<{ stack: Stack; second: Gatehouse; close(): Promise<void> }> {
  const stack = await startStack({ config: { session } })
  const port = await freePort()
  const second = await startGatehouse(
    await buildConfig({
      server: { listen: `127.0.0.1:${port}`, publicUrl: stack.url },
      cookie: { secret: stack.secret },
      providers: [{ id: 'corp', type: 'keycloak', issuer: stack.realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
      authorization: {},
      session,
      logging: { level: 'silent' },
    }),
    { logger: createLogger('silent') },
  )
  return {
    stack,
    second,
    async close() {
      await second.close()
      await stack.close()
    },
  }
}

const status = async (base: string, cookie: string) => (await fetch(`${base}/oauth2/auth`, { headers: { cookie } })).status
const signOut = (base: string, cookie: string) => fetch(`${base}/oauth2/sign_out`, { headers: { cookie, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' })

describe('redis store on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster
  let p: Awaited<ReturnType<typeof pair>>
  beforeAll(async () => {
    cluster = await startRedisCluster()
    p = await pair({ store: 'redis', redis: { cluster: cluster.nodes.map((n) => `${n.host}:${n.port}`) } })
    expect(await waitFor(async () => (await fetch(`${p.stack.url}/ready`)).status === 200, 10_000)).toBe(true)
  }, 60_000)
  afterAll(async () => {
    await p?.close()
    await cluster?.stop()
  })

  it('logs in, shares the session, and a sign-out on one instance is refused on the other', async () => {
    const cookie = await signIn(p.stack.url, 'alice')
    expect(cookie).toMatch(/^_gatehouse=r1\./)
    expect([await status(p.stack.url, cookie), await status(p.second.url, cookie)]).toEqual([202, 202])
    expect((await signOut(p.second.url, cookie)).status).toBe(302)
    expect(await waitFor(async () => (await status(p.stack.url, cookie)) === 401, 1000)).toBe(true)
  })

  it('back-channel logout removes the session from the cluster', async () => {
    const cookie = await signIn(p.stack.url, 'bob')
    expect([await status(p.stack.url, cookie), await status(p.second.url, cookie)]).toEqual([202, 202])
    expect(await p.stack.realm.admin.backchannelLogout(p.stack.realm.subjectOf('bob'))).toEqual([200])
    expect(await waitFor(async () => (await status(p.second.url, cookie)) === 401, 1000)).toBe(true)
  })
})

describe('cookie store with a Redis for revocations between replicas', () => {
  let redis: RedisServer
  let p: Awaited<ReturnType<typeof pair>>
  beforeAll(async () => {
    redis = await startRedis()
    p = await pair({ store: 'cookie', refresh: '2s', redis: { url: redis.url } })
  }, 30_000)
  afterAll(async () => {
    await p?.close()
    await redis?.stop()
  })

  it('the cookie holds the sealed session, and a sign-out on one replica is refused on the other', async () => {
    const cookie = await signIn(p.stack.url, 'alice')
    expect(cookie).toMatch(/^_gatehouse=1\./)
    expect([await status(p.stack.url, cookie), await status(p.second.url, cookie)]).toEqual([202, 202])
    expect((await signOut(p.stack.url, cookie)).status).toBe(302)
    expect(await waitFor(async () => (await status(p.second.url, cookie)) === 401, 1000)).toBe(true)
    expect((await redis.cli('dbsize')).trim()).toBe('0')
  })

  it('50 concurrent requests over both replicas at refresh time: one refresh (Redis lock), both use its result', async () => {
    const cookie = await signIn(p.stack.url, 'alice')
    expect([await status(p.stack.url, cookie), await status(p.second.url, cookie)]).toEqual([202, 202])
    await sleep(2200)
    const before = p.stack.realm.admin.refreshes()
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => status(i % 2 ? p.second.url : p.stack.url, cookie)))
    expect(answers).toEqual(Array(50).fill(202))
    expect(p.stack.realm.admin.refreshes() - before).toBe(1)
    // The rotated refresh token reached the other replica: the next refresh, wherever it runs, works.
    await sleep(2200)
    expect([await status(p.second.url, cookie), await status(p.stack.url, cookie)]).toEqual([202, 202])
    expect(p.stack.realm.admin.refreshes() - before).toBe(2)
  })

  it('a back-channel logout received by one replica ends the session on the other', async () => {
    const cookie = await signIn(p.stack.url, 'bob')
    expect([await status(p.stack.url, cookie), await status(p.second.url, cookie)]).toEqual([202, 202])
    expect(await p.stack.realm.admin.backchannelLogout(p.stack.realm.subjectOf('bob'))).toEqual([200])
    expect(await waitFor(async () => (await status(p.second.url, cookie)) === 401, 1000)).toBe(true)
  })
})

describe('redis store through Redis Sentinel', () => {
  let redis: RedisServer
  let sentinel: Awaited<ReturnType<typeof startRedisSentinel>>
  let p: Awaited<ReturnType<typeof pair>>
  beforeAll(async () => {
    redis = await startRedis()
    sentinel = await startRedisSentinel(redis)
    p = await pair({ store: 'redis', redis: { sentinels: [`127.0.0.1:${sentinel.port}`], masterName: 'mymaster' } })
    expect(await waitFor(async () => (await fetch(`${p.stack.url}/ready`)).status === 200, 10_000)).toBe(true)
  }, 30_000)
  afterAll(async () => {
    await p?.close()
    await sentinel?.stop()
    await redis?.stop()
  })

  it('finds the master through the sentinel, shares the session and its sign-out', async () => {
    const cookie = await signIn(p.stack.url, 'alice')
    const id = /r1\.([\w-]{22})\./.exec(cookie)![1]
    expect((await redis.cli('exists', `gatehouse:session:${id}`)).trim()).toBe('1')
    expect([await status(p.stack.url, cookie), await status(p.second.url, cookie)]).toEqual([202, 202])
    expect((await signOut(p.second.url, cookie)).status).toBe(302)
    expect(await waitFor(async () => (await status(p.stack.url, cookie)) === 401, 1000)).toBe(true)
  })
})
