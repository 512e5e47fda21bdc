/**
 * Redis commands per operation, counted by a real redis-server (`INFO commandstats` before and after),
 * with two Gatehouse instances (in-process, like replicas) sharing it, for each session store:
 * `cookie` (Redis carries only revocations between replicas) and `redis` (Redis holds the sessions).
 * Then the single-shard rate of this machine's redis-server (redis-benchmark GET/SET). Prints one JSON line.
 *
 * `node --import tsx bench/redis-ops.ts [--n 10]`
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { DEMO_USERS, startRealm } from '../dev/devidp/realm.js'
import { buildConfig } from '../src/config/load.js'
import { createLogger } from '../src/logger.js'
import { startGatehouse, type Gatehouse } from '../src/server.js'
import { signIn } from '../test/helpers/login.js'
import { startRedis, type RedisServer } from '../test/helpers/redis.js'
import { freePort, randomSecret } from '../test/helpers/stack.js'

const run = promisify(execFile)
const argv = process.argv.slice(2)
const N = Number(argv[argv.indexOf('--n') + 1] || 10) || 10
const REFRESH_S = 8
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000))

/** Calls per command, without the INFO calls of the measurement itself. */
async function commandstats(redis: RedisServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const m of (await redis.cli('info', 'commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') out[m[1]!] = Number(m[2])
  return out
}

export interface OpsRow {
  store: 'cookie' | 'redis'
  operation: string
  /** how many times the operation was done */
  count: number
  /** Redis commands per operation */
  perOp: number
  /** per command, per operation */
  breakdown: Record<string, number>
  note?: string
}

interface Measured { perOp: number; breakdown: Record<string, number> }

const mean = (ms: Measured[]): Measured => {
  const breakdown: Record<string, number> = {}
  for (const m of ms) for (const [k, v] of Object.entries(m.breakdown)) breakdown[k] = (breakdown[k] ?? 0) + v / ms.length
  for (const k of Object.keys(breakdown)) breakdown[k] = Math.round(100 * breakdown[k]!) / 100
  return { perOp: ms.reduce((s, m) => s + m.perOp, 0) / ms.length, breakdown }
}

async function measure(redis: RedisServer, count: number, what: () => Promise<void>): Promise<Measured> {
  const before = await commandstats(redis)
  await what()
  // pub/sub deliveries and fire-and-forget writes land a moment later
  await sleep(0.3)
  const after = await commandstats(redis)
  const breakdown: Record<string, number> = {}
  let total = 0
  for (const [cmd, calls] of Object.entries(after)) {
    const d = calls - (before[cmd] ?? 0)
    if (d > 0) {
      breakdown[cmd] = Math.round((100 * d) / count) / 100
      total += d
    }
  }
  return { perOp: total / count, breakdown }
}

async function storeMode(redis: RedisServer, store: 'cookie' | 'redis'): Promise<OpsRow[]> {
  const [portA, portB] = await Promise.all([freePort(), freePort()])
  const urlA = `http://127.0.0.1:${portA}`
  const realm = await startRealm({
    users: DEMO_USERS,
    clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${urlA}/oauth2/callback`], postLogoutRedirectUris: [`${urlA}/`], backchannelLogoutUri: `${urlA}/oauth2/backchannel_logout` }],
    ttl: { accessToken: 3600, refreshToken: 3600 },
  })
  const secret = randomSecret()
  const instance = async (port: number) =>
    startGatehouse(
      await buildConfig({
        server: { listen: `127.0.0.1:${port}`, publicUrl: urlA },
        cookie: { secret, secure: false },
        providers: [{ id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
        session: { store, refresh: `${REFRESH_S}s`, redis: { url: redis.url, keyPrefix: `ops-${store}:` } },
        logging: { level: 'silent' },
      }),
      { logger: createLogger('silent') },
    )
  const a: Gatehouse = await instance(portA)
  const b: Gatehouse = await instance(portB)
  const rows: OpsRow[] = []
  const row = (operation: string, count: number, m: Measured, note?: string) => rows.push({ store, operation, count, ...m, note })
  const auth = async (base: string, cookie: string) => {
    const res = await fetch(`${base}/oauth2/auth`, { headers: { cookie } })
    await res.arrayBuffer()
    if (res.status !== 202) throw new Error(`${store}: /oauth2/auth at ${base} answered ${res.status}`)
  }
  try {
    await sleep(0.5)
    row('idle, per second (2 instances)', 2, await measure(redis, 2, async () => {
      await sleep(2)
    }))
    // each session is checked at once after its sign-in, well before its refresh is due
    const cookies: string[] = []
    const reps = 50
    const signIns: Measured[] = []
    const cold: Measured[] = []
    const cached: Measured[] = []
    for (let i = 0; i < N; i++) {
      signIns.push(await measure(redis, 1, async () => void cookies.push(await signIn(urlA, 'alice'))))
      cold.push(await measure(redis, 1, () => auth(b.url, cookies[i]!)))
      cached.push(await measure(redis, reps, async () => {
        for (let r = 0; r < reps; r++) await auth(b.url, cookies[i]!)
      }))
    }
    row('sign-in (callback)', N, mean(signIns))
    row('allow, session not cached on this replica', N, mean(cold))
    row('allow, session cached', N * reps, mean(cached))
    await sleep(REFRESH_S + 0.5)
    row('allow that refreshes the session', N, await measure(redis, N, async () => {
      for (const c of cookies) await auth(b.url, c)
    }), `session.refresh: ${REFRESH_S}s; the refresh token grant itself goes to the IdP`)
    row('sign-out', N, await measure(redis, N, async () => {
      for (const c of cookies) {
        const res = await fetch(`${urlA}/oauth2/sign_out`, { headers: { cookie: c, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' })
        await res.arrayBuffer()
        if (res.status !== 302) throw new Error(`${store}: sign-out answered ${res.status}`)
      }
    }))
    const perUser = 3
    const bobs: string[] = []
    for (let i = 0; i < perUser; i++) bobs.push(await signIn(urlA, 'bob'))
    for (const c of bobs) await auth(b.url, c)
    row(`back-channel logout of a user with ${perUser} sessions`, 1, await measure(redis, 1, async () => {
      const codes = await realm.admin.backchannelLogout(realm.subjectOf('bob'))
      if (codes.some((c) => c !== 200)) throw new Error(`${store}: back-channel logout answered ${codes}`)
    }), `one logout_token per IdP session (${perUser}); every PUBLISH reaches each subscribed replica (2 here)`)
  } finally {
    await b.close()
    await a.close()
    await realm.close()
  }
  return rows
}

/**
 * redis-benchmark GET and SET, 50 clients, no pipelining: what one redis-server thread does on this
 * machine. Best of 3 runs, since the machine is shared and a disturbed run only understates it.
 */
async function shardRate(redis: RedisServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (let i = 0; i < 3; i++) {
    const { stdout } = await run('redis-benchmark', ['-p', String(redis.port), '-q', '-n', '100000', '-c', '50', '-t', 'get,set'], { timeout: 120_000 })
    for (const m of stdout.matchAll(/^(GET|SET): ([\d.]+) requests per second/gm)) out[m[1]!] = Math.max(out[m[1]!] ?? 0, Number(m[2]))
  }
  return out
}

async function main() {
  const redis = await startRedis()
  try {
    const rows = [...(await storeMode(redis, 'cookie')), ...(await storeMode(redis, 'redis'))]
    const shard = await shardRate(redis)
    const version = (await redis.cli('info', 'server')).match(/redis_version:(\S+)/)?.[1]
    process.stdout.write(JSON.stringify({ n: N, redisVersion: version, rows, shard, at: new Date().toISOString() }) + '\n')
  } finally {
    await redis.stop()
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`redis-ops: ${err.stack ?? err.message}\n`)
    process.exit(1)
  },
)
