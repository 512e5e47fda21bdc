/**
 * `npm run bench [-- --quick] [-- --out FILE] [-- --rounds N] [-- --no-oauth2-proxy]`
 *
 * Gatehouse (single process and cluster mode), oauth2-proxy and a bare node:http ceiling, side by
 * side on 127.0.0.1, in alternating rounds so machine noise hits all sides alike. Load: wrk with a
 * fixed number of connections, a warm-up and a fixed duration per case. Then a paced run at half of
 * each side's measured maximum (latency at half load), jose's raw verify rate in-process, and the
 * memory cost of 100,000 cached sessions. Writes BENCHMARKS.md (full run) or bench/out/quick.md.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { DEMO_USERS, startRealm, type Realm } from '../dev/devidp/realm.js'
import { CookieJarClient, loginAtRealm } from '../test/fakes/browser.js'
import {
  BENCH_DIR, ROOT, checkWrk, freePort, median, runWrk, sampleRss, startService, tail, waitForHttp,
  type Service, type WrkResult,
} from './lib.js'

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
// --soak and --capacity are their own programs (bench/soak.ts, bench/capacity.ts)
if (flag('soak') || flag('capacity')) process.exit(await (await import(flag('soak') ? './soak.js' : './capacity.js')).default(argv))
const QUICK = flag('quick')
const WITH_O2P = !flag('no-oauth2-proxy')
const ROUNDS = Number(opt('rounds') ?? (QUICK ? 1 : 3))
// wrk takes whole seconds
const WARMUP_S = Number(opt('warmup') ?? (QUICK ? 1 : 2))
const DURATION_S = Number(opt('duration') ?? (QUICK ? 2 : 10))
const HALF_S = QUICK ? 2 : 8
/** Comma-separated case ids (e.g. ceiling,gh-auth-cookie) to run only those. */
const ONLY = opt('only')?.split(',')
const CONNECTIONS = Number(opt('connections') ?? 50)
const OUT_DIR = join(BENCH_DIR, 'out')
const LOG_DIR = join(OUT_DIR, 'logs')
const OUT_FILE = opt('out') ?? (QUICK ? join(OUT_DIR, 'quick.md') : join(ROOT, 'BENCHMARKS.md'))
const TIME_LIMIT_S = QUICK ? 150 : 45 * 60
mkdirSync(LOG_DIR, { recursive: true })

const overall = setTimeout(() => {
  process.stderr.write(`bench: time limit of ${TIME_LIMIT_S} s reached, stopping\n`)
  process.exit(3)
}, TIME_LIMIT_S * 1000)
overall.unref()

const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`)

// ---------------------------------------------------------------- cases
type ServerId = 'ceiling' | 'gh' | 'ghc' | 'o2p'
interface Case {
  id: string
  server: ServerId
  label: string
  path: string
  headers: Record<string, string>
  /** cold bearer: a fresh token per request from a pool */
  cold?: boolean
  expect: 'ok' | 401
  pending?: string
}
interface CaseResult {
  c: Case
  runs: WrkResult[]
  rss: number[]
  /** share of cache lookups that missed (single-process Gatehouse, from its /metrics) */
  cacheMissShare?: number[]
}

/** gatehouse_token_cache_events_total by "cache:event", scraped from /metrics on the main listener. */
async function cacheEvents(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^gatehouse_token_cache_events_total\{cache="([^"]+)",event="([^"]+)"\} (\S+)$/gm)) out[`${m[1]}:${m[2]}`] = Number(m[3])
  return out
}

const APP_URL = 'http://app.example.test/'
const NGINX = { 'X-Original-URL': APP_URL, 'X-Original-Method': 'GET' }
const TRAEFIK = { 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'app.example.test', 'X-Forwarded-Uri': '/', 'X-Forwarded-Method': 'GET' }

async function main() {
  const wrkVersion = checkWrk()
  const started = Date.now()

  // ------------------------------------------------------------ oauth2-proxy binary
  let o2pBin: string | undefined
  let o2pVersion = ''
  if (WITH_O2P) {
    log('oauth2-proxy: scripts/build-oauth2-proxy.sh (cached after the first build)')
    const r = spawnSync('bash', [join(ROOT, 'scripts/build-oauth2-proxy.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 })
    if (r.status !== 0) throw new Error('could not build oauth2-proxy (see the messages above); run with --no-oauth2-proxy to benchmark Gatehouse alone')
    o2pBin = r.stdout.trim().split('\n').pop()!
    o2pVersion = spawnSync(o2pBin, ['--version'], { encoding: 'utf8' }).stdout.trim()
  }

  // ------------------------------------------------------------ ports, realm
  const [ghPort, ghcPort, o2pPort, ceilPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const ghUrl = `http://127.0.0.1:${ghPort}`
  const ghcUrl = `http://127.0.0.1:${ghcPort}`
  const o2pUrl = `http://127.0.0.1:${o2pPort}`
  const ceilUrl = `http://127.0.0.1:${ceilPort}`
  const realm: Realm = await startRealm({
    users: DEMO_USERS,
    clients: [
      { clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${ghUrl}/oauth2/callback`, `${ghcUrl}/oauth2/callback`] },
      { clientId: 'oauth2-proxy', clientSecret: 'oauth2-proxy-secret', redirectUris: [`${o2pUrl}/oauth2/callback`] },
    ],
  })
  log(`realm ${realm.issuer}`)
  const signingStarted = Date.now()
  const signing = signPool(realm)

  // ------------------------------------------------------------ servers
  const cookieSecret = randomBytes(32).toString('base64url')
  const ghConfig = (url: string, port: number, workers: number) => ({
    server: { listen: `127.0.0.1:${port}`, publicUrl: url, workers },
    cookie: { secret: cookieSecret, secure: false },
    redirect: { allowedDomains: ['.example.test'] },
    providers: [{ id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
    authorization: {},
    // Short TTL so that the cold-bearer pool (each token reused only after > 1 s) really misses; a
    // cached session or token is re-decoded once a second, which costs nothing measurable.
    cache: { maxTtl: '1s' },
    logging: { level: 'warn' },
  })
  const ghFile = join(OUT_DIR, 'gatehouse.bench.yaml')
  const ghcFile = join(OUT_DIR, 'gatehouse-cluster.bench.yaml')
  writeFileSync(ghFile, JSON.stringify(ghConfig(ghUrl, ghPort, 1), null, 2))
  writeFileSync(ghcFile, JSON.stringify(ghConfig(ghcUrl, ghcPort, 0), null, 2))
  const tsxNode = (file: string) => ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file]

  const services: Partial<Record<ServerId, Service>> = {}
  services.ceiling = startService('ceiling', process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'ceiling.ts'), String(ceilPort)], { logDir: LOG_DIR })
  services.gh = startService('gatehouse', process.execPath, tsxNode(ghFile), { logDir: LOG_DIR })
  services.ghc = startService('gatehouse-cluster', process.execPath, tsxNode(ghcFile), { logDir: LOG_DIR })
  if (o2pBin) {
    services.o2p = startService('oauth2-proxy', o2pBin, [
      '--provider=oidc',
      `--oidc-issuer-url=${realm.issuer}`,
      '--client-id=oauth2-proxy',
      '--client-secret=oauth2-proxy-secret',
      '--code-challenge-method=S256',
      `--cookie-secret=${randomBytes(16).toString('hex')}`, // 32 bytes → AES-256
      '--cookie-secure=false',
      '--cookie-expire=168h',
      '--email-domain=*',
      '--insecure-oidc-allow-unverified-email',
      '--upstream=static://202',
      `--http-address=127.0.0.1:${o2pPort}`,
      `--redirect-url=${o2pUrl}/oauth2/callback`,
      '--skip-jwt-bearer-tokens',
      '--set-xauthrequest',
      '--skip-provider-button',
      '--request-logging=false',
      '--auth-logging=false',
    ], { logDir: LOG_DIR })
  }
  await Promise.all([
    waitForHttp(`${ceilUrl}/`, services.ceiling),
    waitForHttp(`${ghUrl}/ping`, services.gh),
    waitForHttp(`${ghcUrl}/ping`, services.ghc),
    services.o2p ? waitForHttp(`${o2pUrl}/ping`, services.o2p) : undefined,
  ])
  log('servers up')

  // ------------------------------------------------------------ credentials
  const ghBrowser = new CookieJarClient()
  const ghCookie = await loginVia(ghBrowser, `${ghUrl}/oauth2/start?rd=${encodeURIComponent(APP_URL)}`, ghUrl, /^_gatehouse(_\d+)?=/)
  let o2pCookie = ''
  if (services.o2p) o2pCookie = await loginVia(new CookieJarClient(), `${o2pUrl}/oauth2/start?rd=%2F`, o2pUrl, /^_oauth2_proxy(_\d+)?=/)
  log(`cookies: gatehouse ${ghCookie.length} B, oauth2-proxy ${o2pCookie.length} B`)

  const warmToken = await realm.signAccessToken(bearerClaims(realm), { expiresIn: 3600 })
  const pool = await signing
  const poolFile = join(OUT_DIR, 'tokens.txt')
  writeFileSync(poolFile, pool.join('\n') + '\n')
  log(`signed ${pool.length} tokens in ${((Date.now() - signingStarted) / 1000).toFixed(1)} s (alongside start-up)`)

  // ------------------------------------------------------------ case list
  const urlOf: Record<ServerId, string> = { ceiling: ceilUrl, gh: ghUrl, ghc: ghcUrl, o2p: o2pUrl }
  const cases: Case[] = [{ id: 'ceiling', server: 'ceiling', label: 'bare node:http, 200 + 4 headers', path: '/', headers: {}, expect: 'ok' }]
  const bearerHeader = { Authorization: `Bearer ${warmToken}` }
  for (const [server, sname] of [['gh', 'Gatehouse'], ['ghc', 'Gatehouse cluster']] as const) {
    for (const [ep, hdrs] of [['auth', NGINX], ['forward-auth', TRAEFIK]] as const) {
      if (QUICK && server === 'ghc' && ep === 'forward-auth') continue
      const quickSkip = QUICK && ep === 'forward-auth'
      const path = `/oauth2/${ep}`
      cases.push({ id: `${server}-${ep}-cookie`, server, label: `${sname} ${path}, session cookie (cache warm)`, path, headers: { ...hdrs, Cookie: ghCookie }, expect: 'ok' })
      if (!quickSkip) cases.push({ id: `${server}-${ep}-jwt-cold`, server, label: `${sname} ${path}, bearer JWT, fresh token each request`, path, headers: { ...hdrs }, cold: true, expect: 'ok' })
      if (!quickSkip && !(QUICK && server === 'ghc')) cases.push({ id: `${server}-${ep}-jwt-warm`, server, label: `${sname} ${path}, bearer JWT, one token repeated`, path, headers: { ...hdrs, ...bearerHeader }, expect: 'ok' })
      if (!quickSkip && !(QUICK && server === 'ghc')) cases.push({ id: `${server}-${ep}-none`, server, label: `${sname} ${path}, no credentials (401)`, path, headers: { ...hdrs }, expect: 401 })
    }
  }
  if (services.o2p) {
    cases.push({ id: 'o2p-auth-cookie', server: 'o2p', label: `oauth2-proxy /oauth2/auth, session cookie`, path: '/oauth2/auth', headers: { ...NGINX, Cookie: o2pCookie }, expect: 'ok' })
    cases.push({ id: 'o2p-auth-jwt-cold', server: 'o2p', label: `oauth2-proxy /oauth2/auth, bearer JWT, fresh token each request`, path: '/oauth2/auth', headers: { ...NGINX }, cold: true, expect: 'ok' })
    if (!QUICK) cases.push({ id: 'o2p-auth-jwt-warm', server: 'o2p', label: `oauth2-proxy /oauth2/auth, bearer JWT, one token repeated`, path: '/oauth2/auth', headers: { ...NGINX, ...bearerHeader }, expect: 'ok' })
    cases.push({ id: 'o2p-auth-none', server: 'o2p', label: `oauth2-proxy /oauth2/auth, no credentials (401)`, path: '/oauth2/auth', headers: { ...NGINX }, expect: 401 })
  }

  // Pre-flight: each case must answer as expected once, or it is marked pending with the reason.
  for (const c of cases) {
    const headers = c.cold ? { ...c.headers, Authorization: `Bearer ${pool[pool.length - 1]}` } : c.headers
    const res = await fetch(urlOf[c.server] + c.path, { headers })
    await res.arrayBuffer()
    const ok = c.expect === 'ok' ? res.status >= 200 && res.status < 300 : res.status === c.expect
    if (!ok) {
      c.pending = `pre-flight answered ${res.status}, expected ${c.expect === 'ok' ? '2xx' : c.expect}`
      log(`${c.id}: ${c.pending} — skipped`)
    }
  }
  if (ONLY) for (const c of cases) if (!ONLY.includes(c.id)) c.pending = c.pending ?? 'not selected (--only)'
  const active = cases.filter((c) => !c.pending)

  // ------------------------------------------------------------ rounds
  const results = new Map<string, CaseResult>(cases.map((c) => [c.id, { c, runs: [], rss: [] }]))
  let poolCursor = 0
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order each round so no side always runs first or right after a heavy case
    const order = active.map((_, i) => active[(i + round * 3) % active.length]!)
    for (const c of order) {
      const url = urlOf[c.server] + c.path
      const base = { url, headers: c.headers, connections: CONNECTIONS, tokensFile: c.cold ? poolFile : undefined }
      const warm = await runWrk({ ...base, seconds: WARMUP_S, tokenOffset: poolCursor })
      if (c.cold) poolCursor += warm.requests
      const pid = services[c.server]!.child.pid!
      const before = c.server === 'gh' ? await cacheEvents(ghUrl) : undefined
      const rss = sampleRss(pid)
      const r = await runWrk({ ...base, seconds: DURATION_S, tokenOffset: poolCursor })
      if (c.cold) poolCursor += r.requests
      const peak = rss.stop()
      const cr = results.get(c.id)!
      cr.runs.push(r)
      cr.rss.push(peak)
      if (before) {
        const after = await cacheEvents(ghUrl)
        const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0)
        const cache = c.id.includes('jwt') ? 'bearer' : 'session'
        const hits = d(`${cache}:hit`)
        const misses = d(`${cache}:miss`) + d(`${cache}:coalesced`)
        if (hits + misses > 0) (cr.cacheMissShare ??= []).push(misses / (hits + misses))
      }
      log(`round ${round + 1}/${ROUNDS} ${c.id.padEnd(26)} ${fmtInt(r.rps).padStart(7)} req/s  p50 ${us(r.p50)}  p99 ${us(r.p99)}  p99.9 ${us(r.p999)}  err ${r.socketErrors}+${c.expect === 'ok' ? r.statusErrors : 0}  rss ${(peak / 1024).toFixed(0)} MB${cr.cacheMissShare?.length ? `  misses ${(100 * cr.cacheMissShare.at(-1)!).toFixed(1)} %` : ''}`)
    }
  }

  // ------------------------------------------------------------ half load
  interface Half { id: string; label: string; target: number; result: WrkResult }
  const halves: Half[] = []
  for (const id of QUICK ? ['gh-auth-cookie'] : ['ceiling', 'gh-auth-cookie', 'ghc-auth-cookie', 'o2p-auth-cookie']) {
    const cr = results.get(id)
    if (!cr || cr.runs.length === 0) continue
    const max = median(cr.runs.map((r) => r.rps))
    const target = max / 2
    const delayMs = 5
    const p50ms = median(cr.runs.map((r) => r.p50)) / 1000
    // each connection: wait delayMs, send, await the answer → rate ≈ conns / (delay + latency)
    const conns = Math.max(1, Math.round((target * (delayMs + Math.min(p50ms, 1))) / 1000))
    const url = urlOf[cr.c.server] + cr.c.path
    await runWrk({ url, headers: cr.c.headers, connections: conns, seconds: 1, delayMs })
    const result = await runWrk({ url, headers: cr.c.headers, connections: conns, seconds: HALF_S, delayMs })
    halves.push({ id, label: cr.c.label, target, result })
    log(`half load ${id}: target ${fmtInt(target)} req/s with ${conns} paced connections → ${fmtInt(result.rps)} req/s, p99 ${us(result.p99)}`)
  }

  // ------------------------------------------------------------ stop servers, then in-process figures
  const ghLogTail = tail(services.gh!.logFile, 5)
  await Promise.all(Object.values(services).map((s) => s!.stop()))
  await realm.close()

  log('jose raw verify rate (bench/jose-raw.ts)')
  const jose = runJson(['--import', 'tsx', join(BENCH_DIR, 'jose-raw.ts'), QUICK ? '--quick' : ''])
  log('memory with 100,000 cached sessions (bench/memory.ts)')
  const memory = runJson(['--expose-gc', '--import', 'tsx', join(BENCH_DIR, 'memory.ts'), QUICK ? '--quick' : ''])

  // ------------------------------------------------------------ report
  const md = report({
    cases, results, halves, jose, memory, wrkVersion, o2pVersion, ghLogTail,
    seconds: Math.round((Date.now() - started) / 1000),
  })
  const previous = existsSync(OUT_FILE) ? readFileSync(OUT_FILE, 'utf8') : ''
  const notesAt = previous.indexOf(NOTES_MARK)
  const notes = notesAt >= 0 ? previous.slice(notesAt) : `${NOTES_MARK}\n`
  writeFileSync(OUT_FILE, md + '\n' + notes)
  writeFileSync(join(OUT_DIR, QUICK ? 'quick.json' : 'full.json'), JSON.stringify({ results: [...results.values()], halves, jose, memory }, null, 2))
  log(`wrote ${OUT_FILE} (${Math.round((Date.now() - started) / 1000)} s)`)
}

/** Keycloak-shaped access-token claims for alice, acceptable to both Gatehouse and oauth2-proxy. */
function bearerClaims(realm: Realm) {
  const alice = DEMO_USERS.find((u) => u.username === 'alice')!
  return {
    sub: realm.subjectOf('alice'),
    aud: ['gatehouse', 'oauth2-proxy', 'account'],
    azp: 'gatehouse',
    email: alice.email,
    email_verified: true,
    preferred_username: 'alice',
    name: alice.name,
    groups: alice.groups,
    realm_access: { roles: alice.realmRoles ?? [] },
    scope: 'openid email profile',
  }
}

/** The cold-bearer pool: big enough that no token comes back within the 1 s cache TTL. */
async function signPool(realm: Realm): Promise<string[]> {
  const size = QUICK ? 12_000 : 24_000
  const pool: string[] = []
  while (pool.length < size) {
    pool.push(...(await Promise.all(Array.from({ length: 128 }, () => realm.signAccessToken(bearerClaims(realm), { expiresIn: 3600 })))))
  }
  return pool
}

const NOTES_MARK = '<!-- notes: everything below this line is kept when bench/run.ts rewrites the file -->'

async function loginVia(client: CookieJarClient, startUrl: string, rpUrl: string, keep: RegExp): Promise<string> {
  const start = await client.get(startUrl, { accept: 'text/html' })
  if (!start.location) throw new Error(`login: ${startUrl} answered ${start.status} without a redirect:\n${start.body.slice(0, 500)}`)
  const back = await loginAtRealm(client, start.location, 'alice', 'alice')
  if (!back.location?.startsWith(rpUrl)) throw new Error(`login at realm did not come back to ${rpUrl} (status ${back.status}, location ${back.location})`)
  const cb = await client.get(back.location)
  if (cb.status >= 400) throw new Error(`login callback at ${rpUrl} answered ${cb.status}: ${cb.body.slice(0, 300)}`)
  const cookie = client
    .cookies(rpUrl + '/oauth2/auth')
    .split(/;\s*/)
    .filter((c) => keep.test(c))
    .join('; ')
  if (!cookie) throw new Error(`no session cookie from ${rpUrl} after login`)
  return cookie
}

function runJson(args: string[]): Record<string, unknown> | { error: string } {
  const r = spawnSync(process.execPath, args.filter(Boolean), { cwd: ROOT, encoding: 'utf8', timeout: 5 * 60_000 })
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('{'))
  if (r.status !== 0 || !line) return { error: `exit ${r.status}: ${(r.stderr ?? '').slice(-800)}` }
  return JSON.parse(line)
}

const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–')
const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${Math.round(v)} µs`)
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '–')

function report(r: {
  cases: Case[]
  results: Map<string, CaseResult>
  halves: { id: string; label: string; target: number; result: WrkResult }[]
  jose: Record<string, unknown>
  memory: Record<string, unknown>
  wrkVersion: string
  o2pVersion: string
  ghLogTail: string
  seconds: number
}): string {
  const rps = (id: string) => {
    const cr = r.results.get(id)
    return cr && cr.runs.length ? median(cr.runs.map((x) => x.rps)) : undefined
  }
  const cpu = cpus()[0]?.model ?? 'unknown'
  const lines: string[] = []
  const cmd = QUICK ? 'npm run bench -- --quick' : 'npm run bench'
  lines.push('# Benchmarks', '')
  lines.push(`Generated by \`${cmd}\` (bench/run.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${r.seconds} s. Reproduce with:`, '')
  lines.push('```sh', 'npm ci', cmd + (QUICK ? '' : '            # ~15 min; `npm run bench -- --quick` takes under a minute'), '```', '')
  lines.push(`Machine: ${availableParallelism()} CPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${r.wrkVersion.split(' [')[0]}` +
    (r.o2pVersion ? `, ${r.o2pVersion}` : ', oauth2-proxy not run') + '. Load generator and servers share the machine (loopback).', '')
  lines.push(`Method: wrk, 1 thread, ${CONNECTIONS} keep-alive connections, ${WARMUP_S} s warm-up then ${DURATION_S} s measured per case; ${ROUNDS} round(s), the case order rotated each round; figures are the median over rounds (errors summed, RSS the highest). ` +
    'Cache misses = share of the single-process Gatehouse\'s cache lookups that missed during the case (from its /metrics; cold bearer should be ~100 %). Latency is wrk\'s, per request, in µs/ms. "Errors" = socket errors + non-2xx answers where 2xx was expected. Peak RSS = highest summed VmRSS of the server\'s process group (primary + workers in cluster mode), sampled every 200 ms during the case.', '')

  lines.push('## Throughput and latency', '')
  lines.push('| case | req/s | p50 | p99 | p99.9 | errors | peak RSS | cache misses |', '|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const c of r.cases) {
    const cr = r.results.get(c.id)!
    if (c.pending || cr.runs.length === 0) {
      lines.push(`| ${c.label} | pending | | | | | ${c.pending ?? ''} |`)
      continue
    }
    const m = (f: (x: WrkResult) => number) => median(cr.runs.map(f))
    const errors = cr.runs.reduce((s, x) => s + x.socketErrors + (c.expect === 'ok' ? x.statusErrors : 0), 0)
    const share = cr.cacheMissShare?.length ? median(cr.cacheMissShare) : undefined
    // a cold case whose pool came round within the cache TTL was partly warm: say so
    const miss = share === undefined ? '' : `${(100 * share).toFixed(1)} %${c.cold && share < 0.9 ? ' (pool too small for this rate: partly warm)' : ''}`
    lines.push(`| ${c.label} | ${fmtInt(m((x) => x.rps))} | ${us(m((x) => x.p50))} | ${us(m((x) => x.p99))} | ${us(m((x) => x.p999))} | ${errors} | ${(Math.max(...cr.rss) / 1024).toFixed(0)} MB | ${miss} |`)
  }
  lines.push('')

  lines.push('## Ratios', '')
  lines.push('| ratio | value |', '|---|---:|')
  const pairs: [string, string, string][] = [
    ['Gatehouse /oauth2/auth cookie ÷ oauth2-proxy cookie', 'gh-auth-cookie', 'o2p-auth-cookie'],
    ['Gatehouse cluster /oauth2/auth cookie ÷ oauth2-proxy cookie', 'ghc-auth-cookie', 'o2p-auth-cookie'],
    ['Gatehouse /oauth2/auth cookie ÷ bare-Node ceiling', 'gh-auth-cookie', 'ceiling'],
    ['Gatehouse /oauth2/forward-auth cookie ÷ bare-Node ceiling', 'gh-forward-auth-cookie', 'ceiling'],
    ['Gatehouse cluster /oauth2/auth cookie ÷ bare-Node ceiling (single process)', 'ghc-auth-cookie', 'ceiling'],
    ['Gatehouse /oauth2/auth JWT warm ÷ oauth2-proxy JWT', 'gh-auth-jwt-warm', 'o2p-auth-jwt-warm'],
    ['Gatehouse /oauth2/auth JWT cold ÷ oauth2-proxy JWT (fresh tokens)', 'gh-auth-jwt-cold', 'o2p-auth-jwt-cold'],
    ['Gatehouse cluster /oauth2/auth JWT cold ÷ oauth2-proxy JWT (fresh tokens)', 'ghc-auth-jwt-cold', 'o2p-auth-jwt-cold'],
    ['Gatehouse /oauth2/auth 401 ÷ oauth2-proxy 401', 'gh-auth-none', 'o2p-auth-none'],
  ]
  for (const [label, a, b] of pairs) lines.push(`| ${label} | ${ratio(rps(a), rps(b))} |`)
  lines.push('')

  lines.push('## Latency at half of maximum load', '')
  lines.push('Paced wrk: each connection waits 5 ms before each request (wrk\'s Lua `delay()`), with enough connections for half of the case\'s measured maximum. ' +
    'It is a paced closed loop, not wrk2\'s open loop: a stall delays the next requests instead of queueing them, so the tail is, if anything, understated.', '')
  lines.push('| case | target req/s | achieved req/s | p50 | p99 | p99.9 | max |', '|---|---:|---:|---:|---:|---:|---:|')
  for (const h of r.halves) {
    const x = h.result
    lines.push(`| ${h.label} | ${fmtInt(h.target)} | ${fmtInt(x.rps)} | ${us(x.p50)} | ${us(x.p99)} | ${us(x.p999)} | ${us(x.max)} |`)
  }
  lines.push('')

  lines.push('## JWT verification: jose in-process (bench/jose-raw.ts)', '')
  if ('error' in r.jose) lines.push(`failed: ${String(r.jose.error)}`, '')
  else {
    const j = r.jose as Record<string, number | string>
    lines.push(`RS256 (2048-bit), distinct tokens, one Node process, nothing else running. ${String(j.note ?? '')}`, '')
    lines.push('| verifier | verifies/s |', '|---|---:|')
    for (const [k, v] of Object.entries(j)) if (typeof v === 'number') lines.push(`| ${k} | ${fmtInt(v)} |`)
    const cold = rps('gh-auth-jwt-cold')
    const raw = Number(j['jose jwtVerify, 64 in flight'])
    if (cold && raw) lines.push('', `Gatehouse cold bearer over HTTP ÷ jose raw (64 in flight): ${ratio(cold, raw)}.`)
    lines.push('')
  }

  lines.push('## Memory (bench/memory.ts)', '')
  if ('error' in r.memory) lines.push(`failed: ${String(r.memory.error)}`, '')
  else {
    const m = r.memory as Record<string, number | string>
    lines.push(String(m.method ?? ''), '')
    lines.push('| cache | entries | RSS before | RSS after | heap used after | per entry (RSS) | per entry (heap) |', '|---|---:|---:|---:|---:|---:|---:|')
    for (const row of (m.rows as unknown as Record<string, number | string>[]) ?? []) {
      if (row.pending) {
        lines.push(`| ${row.cache} | pending | | | | | ${row.pending} |`)
        continue
      }
      lines.push(`| ${row.cache} | ${fmtInt(Number(row.entries))} | ${mb(row.rssBefore)} | ${mb(row.rssAfter)} | ${mb(row.heapAfter)} | ${fmtInt(Number(row.rssPerEntry))} B | ${fmtInt(Number(row.heapPerEntry))} B |`)
    }
    lines.push('')
  }
  return lines.join('\n')
}
const mb = (v: unknown) => `${(Number(v) / 2 ** 20).toFixed(1)} MB`

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`)
    process.exit(1)
  },
)
