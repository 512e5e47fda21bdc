/**
 * `node --import tsx bench/sessions.ts [--seconds N]`: the cost of the redis session store on the
 * hot path. One Gatehouse process at a time (CLI, single worker), a signed-in session, wrk on
 * /oauth2/auth: cookie store vs redis store, each with the session cache on (the normal case) and
 * off (`cache.maxTtl: 0s`: every request decrypts the cookie, or GETs and decrypts from Redis).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { DEMO_USERS, startRealm } from '../dev/devidp/realm.js'
import { signIn } from '../test/helpers/login.js'
import { checkWrk, freePort, gatehouseCli, runWrk } from './lib.js'

const argv = process.argv.slice(2)
const seconds = Number(argv[argv.indexOf('--seconds') + 1] || 5)
checkWrk()

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function waitUp(url: string) {
  for (let i = 0; i < 200; i++) {
    if ((await fetch(url).then((r) => r.status, () => 0)) === 200) return
    await sleep(100)
  }
  throw new Error(`${url} did not come up`)
}

const redisPort = await freePort()
const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${url}/oauth2/callback`] }] })
const secret = randomBytes(32).toString('base64url')
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-sessions-'))
const rows: string[] = []

try {
  for (const store of ['cookie', 'redis'] as const) {
    for (const cached of [true, false]) {
      const file = join(dir, `${store}-${cached}.yaml`)
      writeFileSync(file, `
server: { listen: "127.0.0.1:${port}", publicUrl: "${url}" }
cookie: { secret: "${secret}" }
providers: [{ id: corp, type: keycloak, issuer: "${realm.issuer}", clientId: gatehouse, clientSecret: gatehouse-secret, allowInsecureRequests: true }]
authorization: {}
session: { store: ${store}, refresh: 5m, redis: { url: "redis://127.0.0.1:${redisPort}/0" } }
${cached ? '' : 'cache: { maxTtl: 0s }'}
logging: { level: warn }
`)
      const child: ChildProcess = spawn(process.execPath, gatehouseCli(['serve', '--config', file]), { stdio: 'ignore' })
      try {
        await waitUp(`${url}/ready`)
        const cookie = await signIn(url, 'alice')
        await runWrk({ url: `${url}/oauth2/auth`, headers: { cookie }, connections: 16, seconds: 2 })
        const r = await runWrk({ url: `${url}/oauth2/auth`, headers: { cookie }, connections: 16, seconds })
        rows.push(`| ${store} | ${cached ? 'on' : 'off'} | ${Math.round(r.rps)} | ${(r.p50 / 1000).toFixed(2)} | ${(r.p99 / 1000).toFixed(2)} | ${r.statusErrors + r.socketErrors} |`)
        console.error(rows.at(-1))
      } finally {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
    }
  }
} finally {
  redis.kill('SIGKILL')
  await realm.close()
}
console.log(['| store | session cache | req/s | p50 ms | p99 ms | errors |', '|---|---|---|---|---|---|', ...rows].join('\n'))
process.exit(0)
