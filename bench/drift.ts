/**
 * Does a hot case slow down after the other cases ran? `node --import tsx bench/drift.ts [before-cases] [seconds]`
 * One Gatehouse (the bench's config), one login; the cached-cookie allow is measured, then `before-cases` run
 * (comma-separated: none, browser, forbidden, jwt-cold), then the cookie allow again, with the server's RSS and
 * V8 heap (from /metrics) after each step. DRIFT_WAIT_S=N idles N seconds after the first measurement. Found by the full bench: its rounds 2 and 3 were a third slower
 * than round 1 for Gatehouse only.
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { DEMO_USERS, startRealm } from '../dev/devidp/realm.js'
import { CookieJarClient, loginAtRealm } from '../test/fakes/browser.js'
import { BENCH_DIR, freePort, runWrk, startService, statusKb, waitForHttp } from './lib.js'

const [casesArg = 'none,browser,forbidden,jwt-cold', secs = '8'] = process.argv.slice(2)
const dir = join(BENCH_DIR, 'out', 'drift')
mkdirSync(dir, { recursive: true })
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${url}/oauth2/callback`] }] })
const cfg = join(dir, 'gatehouse.yaml')
writeFileSync(cfg, JSON.stringify({
  server: { listen: `127.0.0.1:${port}`, publicUrl: url },
  cookie: { secret: randomBytes(32).toString('base64url'), secure: false },
  redirect: { allowedDomains: ['.example.test'] },
  providers: [{ id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
  authorization: {},
  rules: [{ name: 'forbidden', paths: ['/forbidden'], require: { groups: ['nobody'] } }],
  cache: { maxTtl: '1s' },
  logging: { level: 'warn' },
}))
const gh = startService('gatehouse-drift', process.execPath, [...(process.env.DRIFT_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'src/cli.ts', 'serve', '--config', cfg], { logDir: dir })
await waitForHttp(`${url}/ping`, gh)

const NGINX = { 'X-Original-URL': 'http://app.example.test/', 'X-Original-Method': 'GET' }
const c = new CookieJarClient()
const start = await c.get(`${url}/oauth2/start?rd=${encodeURIComponent('http://app.example.test/')}`, { accept: 'text/html' })
await c.get((await loginAtRealm(c, start.location!, 'alice', 'alice')).location!)
const cookie = c.cookies(`${url}/oauth2/auth`).split(/;\s*/).filter((x) => /^_gatehouse=/.test(x)).join('; ')
const claims = { sub: realm.subjectOf('alice'), aud: ['gatehouse', 'account'], azp: 'gatehouse', email: 'alice@example.com', preferred_username: 'alice', groups: ['staff'] }
let tokensFile: string | undefined

const heap = async () => {
  const text = await (await fetch(`${url}/metrics`)).text()
  const v = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20
  return `rss ${(statusKb(gh.child.pid!, 'VmRSS') / 1024).toFixed(0)} MB, heap used ${v('nodejs_heap_size_used_bytes').toFixed(0)} MB`
}
const run = async (name: string, headers: Record<string, string>, tokens?: string) => {
  await runWrk({ url: `${url}/oauth2/auth`, headers, connections: 50, seconds: 2, tokensFile: tokens })
  const r = await runWrk({ url: `${url}/oauth2/auth`, headers, connections: 50, seconds: Number(secs), tokensFile: tokens })
  console.log(`${name.padEnd(12)} ${String(Math.round(r.rps)).padStart(6)} req/s  p99 ${r.p99} µs  errors ${r.socketErrors}+${r.statusErrors}  ${await heap()}`)
}
await run('cookie', { ...NGINX, Cookie: cookie })
const waitS = Number(process.env.DRIFT_WAIT_S ?? 0)
if (waitS > 0) {
  await new Promise((r) => setTimeout(r, waitS * 1000))
  console.log(`(idle ${waitS} s)`)
}
for (const name of casesArg.split(',').filter(Boolean)) {
  if (name === 'none') await run(name, NGINX)
  else if (name === 'browser') await run(name, { ...NGINX, Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' })
  else if (name === 'forbidden') await run(name, { ...NGINX, 'X-Original-URL': 'http://app.example.test/forbidden', Cookie: cookie })
  else if (name === 'jwt-cold') {
    if (!tokensFile) {
      const pool: string[] = []
      while (pool.length < 24_000) pool.push(...(await Promise.all(Array.from({ length: 256 }, () => realm.signAccessToken(claims, { expiresIn: 3600 })))))
      writeFileSync((tokensFile = join(dir, 'tokens.txt')), pool.join('\n') + '\n')
    }
    await run(name, NGINX, tokensFile)
  } else throw new Error(`unknown case ${name}`)
}
await run('cookie', { ...NGINX, Cookie: cookie })
await gh.stop()
await realm.close()
process.exit(0)
