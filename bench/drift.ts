/**
 * Does a hot case slow down after the other cases ran? `node --import tsx bench/drift.ts [before-cases] [seconds]`
 * One Gatehouse (the bench's config), one login; the cached-cookie allow is measured, then `before-cases` run
 * (comma-separated: none, browser, forbidden, jwt-cold, cookie, fwd-cookie, fwd-none, fwd-browser, fwd-forbidden), then the cookie allow again, with the server's RSS and
 * V8 heap (from /metrics) after each step. DRIFT_WAIT_S=N idles N seconds after the first measurement. Found by the full bench: its rounds 2 and 3 were a third slower
 * than round 1 for Gatehouse only.
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, runWrk, statusKb } from './lib.js'
import { startOneGatehouse } from './one-gatehouse.js'

const [casesArg = 'none,browser,forbidden,jwt-cold', secs = '8'] = process.argv.slice(2)
const dir = join(BENCH_DIR, 'out', 'drift')
mkdirSync(dir, { recursive: true })
const { realm, url, gh, signIn, close } = await startOneGatehouse({
  name: 'gatehouse-drift',
  dir,
  nodeArgs: process.env.DRIFT_NODE_ARGS?.split(' ').filter(Boolean),
  config: { rules: [{ name: 'forbidden', paths: ['/forbidden'], require: { groups: ['nobody'] } }] },
})

const NGINX = { 'X-Original-URL': 'http://app.example.test/', 'X-Original-Method': 'GET' }
const TRAEFIK = { 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'app.example.test', 'X-Forwarded-Uri': '/', 'X-Forwarded-Method': 'GET' }
const cookie = await signIn()
const claims = { sub: realm.subjectOf('alice'), aud: ['gatehouse', 'account'], azp: 'gatehouse', email: 'alice@example.com', preferred_username: 'alice', groups: ['staff'] }
let tokensFile: string | undefined

const heap = async () => {
  const text = await (await fetch(`${url}/metrics`)).text()
  const v = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20
  return `rss ${(statusKb(gh.child.pid!, 'VmRSS') / 1024).toFixed(0)} MB, heap used ${v('nodejs_heap_size_used_bytes').toFixed(0)} MB`
}
const run = async (name: string, headers: Record<string, string>, path = '/oauth2/auth', tokens?: string) => {
  await runWrk({ url: `${url}${path}`, headers, connections: 50, seconds: 2, tokensFile: tokens })
  const r = await runWrk({ url: `${url}${path}`, headers, connections: 50, seconds: Number(secs), tokensFile: tokens })
  console.log(`${name.padEnd(12)} ${String(Math.round(r.rps)).padStart(6)} req/s  p99 ${r.p99} µs  errors ${r.socketErrors}+${r.statusErrors}  ${await heap()}`)
}
const BROWSER = { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' }
const FWD = '/oauth2/forward-auth'
/** The cases that differ only in headers (and endpoint). */
const CASES: Record<string, [Record<string, string>, string?]> = {
  cookie: [{ ...NGINX, Cookie: cookie }],
  none: [NGINX],
  browser: [{ ...NGINX, ...BROWSER }],
  forbidden: [{ ...NGINX, 'X-Original-URL': 'http://app.example.test/forbidden', Cookie: cookie }],
  'fwd-cookie': [{ ...TRAEFIK, Cookie: cookie }, FWD],
  'fwd-none': [TRAEFIK, FWD],
  'fwd-browser': [{ ...TRAEFIK, ...BROWSER }, FWD],
  'fwd-forbidden': [{ ...TRAEFIK, 'X-Forwarded-Uri': '/forbidden', Cookie: cookie }, FWD],
}
await run('cookie', ...CASES.cookie!)
const waitS = Number(process.env.DRIFT_WAIT_S ?? 0)
if (waitS > 0) {
  await new Promise((r) => setTimeout(r, waitS * 1000))
  console.log(`(idle ${waitS} s)`)
}
for (const name of casesArg.split(',').filter(Boolean)) {
  const c = Object.hasOwn(CASES, name) ? CASES[name] : undefined
  if (c) await run(name, ...c)
  else if (name === 'jwt-cold') {
    if (!tokensFile) {
      const pool: string[] = []
      while (pool.length < 24_000) pool.push(...(await Promise.all(Array.from({ length: 256 }, () => realm.signAccessToken(claims, { expiresIn: 3600 })))))
      writeFileSync((tokensFile = join(dir, 'tokens.txt')), pool.join('\n') + '\n')
    }
    await run(name, NGINX, undefined, tokensFile)
  } else throw new Error(`unknown case ${name}`)
}
await run('cookie', ...CASES.cookie!)
await close()
process.exit(0)
