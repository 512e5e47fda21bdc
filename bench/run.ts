/**
 * `npm run bench [-- --quick] [-- --out FILE] [-- --rounds N] [-- --no-oauth2-proxy]`
 *
 * Gatehouse (single process and cluster mode), oauth2-proxy and bare node:http ceilings (one process,
 * and a cluster as large as Gatehouse's), side by side on 127.0.0.1, for allows (cookie, RS256 and
 * ES256 bearer) and denials (401, login redirect, 403) on both verify endpoints, in alternating rounds so machine noise hits all sides alike. Load: wrk with a
 * fixed number of connections, a warm-up and a fixed duration per case. Then a paced run at half of
 * each side's measured maximum (latency at half load), jose's raw verify rate in-process, and the
 * memory cost of 100,000 cached sessions. Writes BENCHMARKS.md (full run) or bench/out/quick.md.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { get as httpGet } from 'node:http'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { DEMO_USERS, startRealm, type Realm } from '../dev/devidp/realm.js'
import { CookieJarClient, loginAtRealm } from '../test/fakes/browser.js'
import { startEs256Issuer } from './es256-issuer.js'
import {
  BENCH_DIR, ROOT, checkWrk, freePort, gatehouseCli, groupCpuSeconds, median, runWrk, sampleRss, startService, tail, waitForHttp,
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
const TIME_LIMIT_S = Number(opt('time-limit') ?? (QUICK ? 240 * ROUNDS : 45 * 60))
mkdirSync(LOG_DIR, { recursive: true })

const overall = setTimeout(() => {
  process.stderr.write(`bench: time limit of ${TIME_LIMIT_S} s reached, stopping\n`)
  process.exit(3)
}, TIME_LIMIT_S * 1000)
overall.unref()

const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`)

// ---------------------------------------------------------------- cases
type ServerId = 'ceiling' | 'ceilc' | 'ceilr' | 'gh' | 'ghc' | 'o2p'
interface Case {
  id: string
  server: ServerId
  label: string
  path: string
  headers: Record<string, string>
  /** cold bearer: a fresh token per request from a pool (RS256 from the realm, or ES256) */
  cold?: 'rs256' | 'es256'
  /** 'ok' = any 2xx, else the exact status */
  expect: 'ok' | 401 | 302 | 403
  pending?: string
}
interface CaseResult {
  c: Case
  runs: WrkResult[]
  rss: number[]
  /** the server's CPU time (all its processes) per answered request, µs */
  cpuUs: number[]
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
/**
 * A browser's top-level navigation (login redirect cases). No Sec-Fetch-* headers: fetch (the
 * pre-flight) replaces them, and without them an HTML Accept counts as a navigation on both sides.
 */
const BROWSER = { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }
/** A path only group `bench-nobody` may see (the 403 cases): a valid session, forbidden by a rule. */
const FORBIDDEN_PATH = '/admin'
/** Gatehouse cluster cases and the cluster ceiling run this many workers (`server.workers: 0`). */
const WORKERS = availableParallelism()

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
  const [ghPort, ghcPort, o2pPort, ceilPort, ceilcPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
  const ghUrl = `http://127.0.0.1:${ghPort}`
  const ghcUrl = `http://127.0.0.1:${ghcPort}`
  const o2pUrl = `http://127.0.0.1:${o2pPort}`
  const ceilUrl = `http://127.0.0.1:${ceilPort}`
  const ceilcUrl = `http://127.0.0.1:${ceilcPort}`
  const realm: Realm = await startRealm({
    users: DEMO_USERS,
    clients: [
      { clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${ghUrl}/oauth2/callback`, `${ghcUrl}/oauth2/callback`] },
      { clientId: 'oauth2-proxy', clientSecret: 'oauth2-proxy-secret', redirectUris: [`${o2pUrl}/oauth2/callback`] },
    ],
  })
  log(`realm ${realm.issuer}`)
  const signingStarted = Date.now()
  const es = await startEs256Issuer()
  const signing = signPool(realm)
  const signingEs = signPoolWith(() => es.sign(esClaims()))

  // ------------------------------------------------------------ servers
  const cookieSecret = randomBytes(32).toString('base64url')
  const ghConfig = (url: string, port: number, workers: number) => ({
    server: { listen: `127.0.0.1:${port}`, publicUrl: url, workers },
    cookie: { secret: cookieSecret, secure: false },
    redirect: { allowedDomains: ['.example.test'] },
    providers: [{ id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
    authorization: {},
    rules: [{ name: 'bench-forbidden', paths: [FORBIDDEN_PATH], require: { groups: ['bench-nobody'] } }],
    extraIssuers: [{ id: 'bench-es', issuer: es.issuer, jwksUrl: es.jwksUrl, audiences: [es.audience], algorithms: ['ES256'], allowInsecureRequests: true }],
    // Short TTL so that the cold-bearer pool (each token reused only after > 1 s) really misses; a
    // cached session or token is re-decoded once a second, which costs nothing measurable.
    cache: { maxTtl: '1s' },
    logging: { level: 'warn' },
  })
  const ghFile = join(OUT_DIR, 'gatehouse.bench.yaml')
  const ghcFile = join(OUT_DIR, 'gatehouse-cluster.bench.yaml')
  writeFileSync(ghFile, JSON.stringify(ghConfig(ghUrl, ghPort, 1), null, 2))
  writeFileSync(ghcFile, JSON.stringify(ghConfig(ghcUrl, ghcPort, 0), null, 2))

  const services: Partial<Record<ServerId, Service>> = {}
  services.ceiling = startService('ceiling', process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'ceiling.ts'), String(ceilPort)], { logDir: LOG_DIR })
  services.ceilc = startService('ceiling-cluster', process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'ceiling.ts'), String(ceilcPort), String(WORKERS)], { logDir: LOG_DIR })
  services.gh = startService('gatehouse', process.execPath, gatehouseCli(['serve', '--config', ghFile]), { logDir: LOG_DIR })
  services.ghc = startService('gatehouse-cluster', process.execPath, gatehouseCli(['serve', '--config', ghcFile]), { logDir: LOG_DIR })
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
      `--extra-jwt-issuers=${es.issuer}=${es.audience}`,
      '--set-xauthrequest',
      '--skip-provider-button',
      '--request-logging=false',
      '--auth-logging=false',
    ], { logDir: LOG_DIR })
  }
  await Promise.all([
    waitForHttp(`${ceilUrl}/`, services.ceiling),
    waitForHttp(`${ceilcUrl}/`, services.ceilc),
    waitForHttp(`${ghUrl}/ping`, services.gh),
    waitForHttp(`${ghcUrl}/ping`, services.ghc),
    services.o2p ? waitForHttp(`${o2pUrl}/ping`, services.o2p) : undefined,
  ])
  log('servers up')

  // ------------------------------------------------------------ credentials
  const ghBrowser = new CookieJarClient()
  const ghCookie = await loginVia(ghBrowser, `${ghUrl}/oauth2/start?rd=${encodeURIComponent(APP_URL)}`, ghUrl, /^_gatehouse(_\d+)?=/)
  // Its own login: two Gatehouses without a shared Redis are two replicas that cannot coordinate a session's
  // refresh, and the dev IdP rotates refresh tokens (a reused one revokes the grant) — README "Sessions".
  const ghcCookie = await loginVia(new CookieJarClient(), `${ghcUrl}/oauth2/start?rd=${encodeURIComponent(APP_URL)}`, ghcUrl, /^_gatehouse(_\d+)?=/)
  let o2pCookie = ''
  if (services.o2p) o2pCookie = await loginVia(new CookieJarClient(), `${o2pUrl}/oauth2/start?rd=%2F`, o2pUrl, /^_oauth2_proxy(_\d+)?=/)
  log(`cookies: gatehouse ${ghCookie.length} B, oauth2-proxy ${o2pCookie.length} B`)

  // The ceiling fed Gatehouse's cookie request and replaying Gatehouse's allow (status and headers): what is left
  // between the two is Gatehouse's own work, not Node's parsing of a 2.5 KB cookie or the size of the answer.
  const ghAnswer = await fetch(`${ghUrl}/oauth2/auth`, { headers: { ...NGINX, Cookie: ghCookie } })
  const replayed: Record<string, string> = {}
  for (const [k, v] of ghAnswer.headers) if (!/^(date|connection|keep-alive|content-length|transfer-encoding)$/i.test(k)) replayed[k] = v
  const answerFile = join(OUT_DIR, 'gatehouse-allow-answer.json')
  writeFileSync(answerFile, JSON.stringify({ status: ghAnswer.status, headers: replayed }, null, 2))
  const ceilrPort = await freePort()
  const ceilrUrl = `http://127.0.0.1:${ceilrPort}`
  services.ceilr = startService('ceiling-replay', process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'ceiling.ts'), String(ceilrPort), '1', answerFile], { logDir: LOG_DIR })
  await waitForHttp(`${ceilrUrl}/`, services.ceilr)

  const warmToken = await realm.signAccessToken(bearerClaims(realm), { expiresIn: 3600 })
  const pools = { rs256: await signing, es256: await signingEs }
  const poolFiles = { rs256: join(OUT_DIR, 'tokens.txt'), es256: join(OUT_DIR, 'tokens-es256.txt') }
  for (const k of ['rs256', 'es256'] as const) writeFileSync(poolFiles[k], pools[k].join('\n') + '\n')
  log(`signed ${pools.rs256.length} RS256 and ${pools.es256.length} ES256 tokens in ${((Date.now() - signingStarted) / 1000).toFixed(1)} s (alongside start-up)`)

  // ------------------------------------------------------------ case list
  const urlOf: Record<ServerId, string> = { ceiling: ceilUrl, ceilc: ceilcUrl, ceilr: ceilrUrl, gh: ghUrl, ghc: ghcUrl, o2p: o2pUrl }
  const cases: Case[] = [
    { id: 'ceiling', server: 'ceiling', label: 'bare node:http, 200 + 4 headers', path: '/', headers: {}, expect: 'ok' },
    { id: 'ceiling-replay', server: 'ceilr', label: `bare node:http fed Gatehouse's cookie request (${ghCookie.length} B cookie), replaying its allow answer (${ghAnswer.status} + ${Object.keys(replayed).length} headers)`, path: '/oauth2/auth', headers: { ...NGINX, Cookie: ghCookie }, expect: 'ok' },
    { id: 'ceiling-cluster', server: 'ceilc', label: `bare node:http cluster (${WORKERS} workers), 200 + 4 headers`, path: '/', headers: {}, expect: 'ok' },
  ]
  const bearerHeader = { Authorization: `Bearer ${warmToken}` }
  for (const [server, sname] of [['gh', 'Gatehouse'], ['ghc', 'Gatehouse cluster']] as const) {
    for (const [ep, hdrs] of [['auth', NGINX], ['forward-auth', TRAEFIK]] as const) {
      if (QUICK && server === 'ghc' && ep === 'forward-auth') continue
      const quickSkip = QUICK && ep === 'forward-auth'
      const path = `/oauth2/${ep}`
      const forbidden: Record<string, string> = ep === 'auth' ? { 'X-Original-URL': APP_URL.replace(/\/$/, FORBIDDEN_PATH) } : { 'X-Forwarded-Uri': FORBIDDEN_PATH }
      const cookie = server === 'gh' ? ghCookie : ghcCookie
      cases.push({ id: `${server}-${ep}-cookie`, server, label: `${sname} ${path}, session cookie (cache warm)`, path, headers: { ...hdrs, Cookie: cookie }, expect: 'ok' })
      if (!quickSkip) cases.push({ id: `${server}-${ep}-jwt-cold`, server, label: `${sname} ${path}, bearer JWT RS256, fresh token each request`, path, headers: { ...hdrs }, cold: 'rs256', expect: 'ok' })
      if (server === 'gh' && ep === 'auth') cases.push({ id: `${server}-${ep}-jwt-cold-es256`, server, label: `${sname} ${path}, bearer JWT ES256, fresh token each request`, path, headers: { ...hdrs }, cold: 'es256', expect: 'ok' })
      if (!quickSkip && !(QUICK && server === 'ghc')) cases.push({ id: `${server}-${ep}-jwt-warm`, server, label: `${sname} ${path}, bearer JWT, one token repeated`, path, headers: { ...hdrs, ...bearerHeader }, expect: 'ok' })
      // the deny answers: both endpoints in a single process; /oauth2/auth in cluster mode too, core for core
      // against oauth2-proxy, which spreads every answer over both cores
      if (server === 'ghc' && (QUICK || ep !== 'auth')) continue
      cases.push({ id: `${server}-${ep}-none`, server, label: `${sname} ${path}, no credentials (401)`, path, headers: { ...hdrs }, expect: 401 })
      cases.push(
        ep === 'auth'
          ? { id: `${server}-${ep}-browser`, server, label: `${sname} ${path}, browser navigation, no credentials (401 + Location: nginx cannot relay a 3xx)`, path, headers: { ...hdrs, ...BROWSER }, expect: 401 }
          : { id: `${server}-${ep}-browser`, server, label: `${sname} ${path}, browser navigation, no credentials (302 to sign-in)`, path, headers: { ...hdrs, ...BROWSER }, expect: 302 },
      )
      cases.push({ id: `${server}-${ep}-forbidden`, server, label: `${sname} ${path}, session cookie, path forbidden by a rule (403)`, path, headers: { ...hdrs, ...forbidden, Cookie: cookie }, expect: 403 })
    }
  }
  if (services.o2p) {
    const auth = '/oauth2/auth'
    cases.push({ id: 'o2p-auth-cookie', server: 'o2p', label: `oauth2-proxy ${auth}, session cookie`, path: auth, headers: { ...NGINX, Cookie: o2pCookie }, expect: 'ok' })
    cases.push({ id: 'o2p-auth-jwt-cold', server: 'o2p', label: `oauth2-proxy ${auth}, bearer JWT RS256, fresh token each request`, path: auth, headers: { ...NGINX }, cold: 'rs256', expect: 'ok' })
    cases.push({ id: 'o2p-auth-jwt-cold-es256', server: 'o2p', label: `oauth2-proxy ${auth}, bearer JWT ES256 (--extra-jwt-issuers), fresh token each request`, path: auth, headers: { ...NGINX }, cold: 'es256', expect: 'ok' })
    if (!QUICK) cases.push({ id: 'o2p-auth-jwt-warm', server: 'o2p', label: `oauth2-proxy ${auth}, bearer JWT, one token repeated`, path: auth, headers: { ...NGINX, ...bearerHeader }, expect: 'ok' })
    cases.push({ id: 'o2p-auth-none', server: 'o2p', label: `oauth2-proxy ${auth}, no credentials (401)`, path: auth, headers: { ...NGINX }, expect: 401 })
    cases.push({ id: 'o2p-auth-browser', server: 'o2p', label: `oauth2-proxy ${auth}, browser navigation, no credentials (401)`, path: auth, headers: { ...NGINX, ...BROWSER }, expect: 401 })
    // oauth2-proxy has no per-path rules; its /oauth2/auth takes allowed_groups from the query (403 when not met)
    cases.push({ id: 'o2p-auth-forbidden', server: 'o2p', label: `oauth2-proxy ${auth}?allowed_groups=bench-nobody, session cookie (403)`, path: `${auth}?allowed_groups=bench-nobody`, headers: { ...NGINX, Cookie: o2pCookie }, expect: 403 })
    // Traefik/Caddy in front of oauth2-proxy: its proxy mode (`/`, upstream static://202) answers a login redirect
    // (to the IdP, with a CSRF cookie: --skip-provider-button) to navigations, a 401 to JSON clients.
    cases.push({ id: 'o2p-forward-auth-none', server: 'o2p', label: 'oauth2-proxy / (proxy mode), Accept: application/json, no credentials (401)', path: '/', headers: { ...TRAEFIK, Accept: 'application/json' }, expect: 401 })
    cases.push({ id: 'o2p-forward-auth-browser', server: 'o2p', label: 'oauth2-proxy / (proxy mode), browser navigation, no credentials (302 to the IdP)', path: '/', headers: { ...TRAEFIK, ...BROWSER }, expect: 302 })
    cases.push({ id: 'o2p-forward-auth-forbidden', server: 'o2p', label: 'oauth2-proxy / (proxy mode), path forbidden for the user (403)', path: '/', headers: {}, expect: 403, pending: 'not expressible: oauth2-proxy has no per-path rules, and --allowed-group applies to every request of the instance' })
  }

  // Pre-flight: each case must answer as expected once, or it is marked pending with the reason.
  for (const c of cases) {
    if (c.pending) continue
    const headers = c.cold ? { ...c.headers, Authorization: `Bearer ${pools[c.cold].at(-1)}` } : c.headers
    const status = await statusOf(urlOf[c.server] + c.path, headers)
    const ok = c.expect === 'ok' ? status >= 200 && status < 300 : status === c.expect
    if (!ok) {
      c.pending = `pre-flight answered ${status}, expected ${c.expect === 'ok' ? '2xx' : c.expect}`
      log(`${c.id}: ${c.pending} — skipped`)
    }
  }
  if (ONLY) for (const c of cases) if (!ONLY.includes(c.id)) c.pending = c.pending ?? 'not selected (--only)'
  const active = cases.filter((c) => !c.pending)

  // ------------------------------------------------------------ rounds
  // JIT warm-up per server on its first non-cold case, so the first case measured is not the cold one
  for (const server of new Set(active.map((c) => c.server))) {
    const first = active.find((c) => c.server === server && !c.cold)
    if (first) await runWrk({ url: urlOf[server] + first.path, headers: first.headers, connections: CONNECTIONS, seconds: WARMUP_S * 2 })
  }
  const results = new Map<string, CaseResult>(cases.map((c) => [c.id, { c, runs: [], rss: [], cpuUs: [] }]))
  const poolCursor = { rs256: 0, es256: 0 }
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order each round so no side always runs first or right after a heavy case
    const order = active.map((_, i) => active[(i + round * 3) % active.length]!)
    for (const c of order) {
      const url = urlOf[c.server] + c.path
      const base = { url, headers: c.headers, connections: CONNECTIONS, tokensFile: c.cold && poolFiles[c.cold] }
      const warm = await runWrk({ ...base, seconds: WARMUP_S, tokenOffset: c.cold && poolCursor[c.cold] })
      if (c.cold) poolCursor[c.cold] += warm.requests
      const pid = services[c.server]!.child.pid!
      const before = c.server === 'gh' ? await cacheEvents(ghUrl) : undefined
      const rss = sampleRss(pid)
      const cpu0 = groupCpuSeconds(pid)
      const r = await runWrk({ ...base, seconds: DURATION_S, tokenOffset: c.cold && poolCursor[c.cold] })
      if (c.cold) poolCursor[c.cold] += r.requests
      const cpuUs = ((groupCpuSeconds(pid) - cpu0) * 1e6) / Math.max(1, r.requests)
      const peak = rss.stop()
      const cr = results.get(c.id)!
      cr.runs.push(r)
      cr.rss.push(peak)
      cr.cpuUs.push(cpuUs)
      if (before) {
        const after = await cacheEvents(ghUrl)
        const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0)
        const cache = c.id.includes('jwt') ? 'bearer' : 'session'
        const hits = d(`${cache}:hit`)
        const misses = d(`${cache}:miss`) + d(`${cache}:coalesced`)
        if (hits + misses > 0) (cr.cacheMissShare ??= []).push(misses / (hits + misses))
      }
      log(`round ${round + 1}/${ROUNDS} ${c.id.padEnd(26)} ${fmtInt(r.rps).padStart(7)} req/s  p50 ${us(r.p50)}  p99 ${us(r.p99)}  p99.9 ${us(r.p999)}  err ${r.socketErrors}+${c.expect === 'ok' ? r.statusErrors : 0}  cpu ${cpuUs.toFixed(0)} µs/req  rss ${(peak / 1024).toFixed(0)} MB${cr.cacheMissShare?.length ? `  misses ${(100 * cr.cacheMissShare.at(-1)!).toFixed(1)} %` : ''}`)
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
    if (id === 'gh-auth-cookie') {
      // the ceiling at the very same paced load: the reference for Gatehouse's p99 at half load
      const paced = { url: `${ceilUrl}/`, headers: {}, connections: conns, delayMs }
      await runWrk({ ...paced, seconds: 1 })
      const ceiling = await runWrk({ ...paced, seconds: HALF_S })
      halves.push({ id: 'ceiling-at-gh-half', label: 'bare node:http ceiling, paced as Gatehouse /oauth2/auth cookie above', target, result: ceiling })
      log(`half load ceiling at Gatehouse's pace: ${fmtInt(ceiling.rps)} req/s, p99 ${us(ceiling.p99)}`)
    }
  }

  // ------------------------------------------------------------ stop servers, then in-process figures
  const ghLogTail = tail(services.gh!.logFile, 5)
  await Promise.all(Object.values(services).map((s) => s!.stop()))
  await realm.close()
  await es.close()

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
  // With --out (a partial or side run) the figures go beside that file, so full.json keeps the last full run
  // (bench/capacity.ts reads it).
  const jsonFile = opt('out') ? OUT_FILE.replace(/(\.md)?$/, '.json') : join(OUT_DIR, QUICK ? 'quick.json' : 'full.json')
  writeFileSync(jsonFile, JSON.stringify({ results: [...results.values()], halves, jose, memory }, null, 2))
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
const signPool = (realm: Realm) => signPoolWith(() => realm.signAccessToken(bearerClaims(realm), { expiresIn: 3600 }))

async function signPoolWith(sign: () => Promise<string>): Promise<string[]> {
  const size = QUICK ? 12_000 : 24_000
  const pool: string[] = []
  while (pool.length < size) pool.push(...(await Promise.all(Array.from({ length: 128 }, sign))))
  return pool
}

/** Claims of the ES256 issuer's tokens (bench/es256-issuer.ts adds iss, aud, iat, exp). */
const esClaims = () => ({ sub: 'svc-es256', email: 'svc-es256@example.test', email_verified: true, preferred_username: 'svc-es256' })

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

/** The status of one GET with exactly these headers (fetch would add Sec-Fetch-Mode: cors, which wrk does not). */
const statusOf = (url: string, headers: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode ?? 0))
    }).once('error', reject)
  })

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
  const cpuPerReq = (id: string) => {
    const cr = r.results.get(id)
    return cr && cr.cpuUs.length ? median(cr.cpuUs) : undefined
  }
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
  lines.push('| case | req/s | p50 | p99 | p99.9 | errors | server CPU per request | peak RSS | cache misses |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|')
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
    lines.push(`| ${c.label} | ${fmtInt(m((x) => x.rps))} | ${us(m((x) => x.p50))} | ${us(m((x) => x.p99))} | ${us(m((x) => x.p999))} | ${errors} | ${us(median(cr.cpuUs))} | ${(Math.max(...cr.rss) / 1024).toFixed(0)} MB | ${miss} |`)
  }
  lines.push('')

  lines.push('## Ratios', '')
  lines.push('Targets from issue 15 (ratios in one run, on this machine, wrk sharing the cores). "–": a side was not run.', '')
  lines.push('"By CPU": the same ratio from the servers\' CPU time per request (the other side\'s ÷ Gatehouse\'s), which a busy machine disturbs less than req/s.', '')
  lines.push('| ratio | value | target | met | by CPU |', '|---|---:|---:|---|---:|')
  const p99At = (id: string) => r.halves.find((h) => h.id === id)?.result.p99
  type Row = [string, number | undefined, number | undefined, ('≥' | '≤')?, number?]
  const byId = new Map<string, [string, string]>()
  const pair = (label: string, a: string, b: string): [string, number | undefined, number | undefined] => {
    byId.set(label, [a, b])
    return [label, rps(a), rps(b)]
  }
  const rows: Row[] = [
    [...pair('Gatehouse /oauth2/auth cookie ÷ bare-Node ceiling', 'gh-auth-cookie', 'ceiling'), '≥', 0.6],
    [...pair('Gatehouse /oauth2/auth cookie ÷ oauth2-proxy cookie', 'gh-auth-cookie', 'o2p-auth-cookie'), '≥', 2],
    [...pair(`Gatehouse cluster /oauth2/auth cookie ÷ bare-Node cluster ceiling (${WORKERS} workers each)`, 'ghc-auth-cookie', 'ceiling-cluster'), '≥', 0.8],
    [...pair('Gatehouse /oauth2/auth 401 ÷ oauth2-proxy 401', 'gh-auth-none', 'o2p-auth-none'), '≥', 1.5],
    [...pair('Gatehouse /oauth2/forward-auth 401 ÷ oauth2-proxy proxy-mode 401', 'gh-forward-auth-none', 'o2p-forward-auth-none'), '≥', 1.5],
    [...pair('Gatehouse /oauth2/auth browser 401 + Location ÷ oauth2-proxy browser 401', 'gh-auth-browser', 'o2p-auth-browser'), '≥', 1.5],
    [...pair('Gatehouse /oauth2/forward-auth login redirect ÷ oauth2-proxy proxy-mode login redirect', 'gh-forward-auth-browser', 'o2p-forward-auth-browser'), '≥', 1.5],
    [...pair('Gatehouse /oauth2/auth 403 (rule) ÷ oauth2-proxy 403 (allowed_groups)', 'gh-auth-forbidden', 'o2p-auth-forbidden'), '≥', 1.5],
    ['Gatehouse /oauth2/forward-auth 403 ÷ oauth2-proxy: not expressible (no per-path rules)', undefined, undefined, '≥', 1.5],
    [...pair('Gatehouse /oauth2/auth first-seen RS256 bearer ÷ oauth2-proxy', 'gh-auth-jwt-cold', 'o2p-auth-jwt-cold'), '≥', 3],
    [...pair('Gatehouse /oauth2/auth first-seen ES256 bearer ÷ oauth2-proxy', 'gh-auth-jwt-cold-es256', 'o2p-auth-jwt-cold-es256'), '≥', 3],
    ['Gatehouse p99 at half load ÷ ceiling p99 at the same paced load (cookie)', p99At('gh-auth-cookie'), p99At('ceiling-at-gh-half'), '≤', 1.5],
    // context, no target
    [...pair("Gatehouse /oauth2/auth cookie ÷ bare node:http fed the same request, replaying Gatehouse's answer", 'gh-auth-cookie', 'ceiling-replay')],
    [...pair("bare node:http fed Gatehouse's cookie request and answer ÷ bare-Node ceiling (Node's own cost of the real request)", 'ceiling-replay', 'ceiling')],
    [...pair('Gatehouse /oauth2/forward-auth cookie ÷ bare-Node ceiling', 'gh-forward-auth-cookie', 'ceiling')],
    [...pair('Gatehouse cluster /oauth2/auth cookie ÷ oauth2-proxy cookie', 'ghc-auth-cookie', 'o2p-auth-cookie')],
    [...pair('Gatehouse cluster /oauth2/auth cookie ÷ bare-Node ceiling (single process)', 'ghc-auth-cookie', 'ceiling')],
    [...pair('Gatehouse /oauth2/auth JWT warm ÷ oauth2-proxy JWT', 'gh-auth-jwt-warm', 'o2p-auth-jwt-warm')],
    [...pair('Gatehouse cluster /oauth2/auth JWT cold ÷ oauth2-proxy JWT (fresh tokens)', 'ghc-auth-jwt-cold', 'o2p-auth-jwt-cold')],
    [...pair(`Gatehouse cluster /oauth2/auth 401 ÷ oauth2-proxy 401 (${WORKERS} workers: both sides on every core)`, 'ghc-auth-none', 'o2p-auth-none')],
    [...pair(`Gatehouse cluster /oauth2/auth browser 401 + Location ÷ oauth2-proxy browser 401 (${WORKERS} workers)`, 'ghc-auth-browser', 'o2p-auth-browser')],
    [...pair(`Gatehouse cluster /oauth2/auth 403 (rule) ÷ oauth2-proxy 403 (${WORKERS} workers)`, 'ghc-auth-forbidden', 'o2p-auth-forbidden')],
    [...pair('Gatehouse /oauth2/auth 401 ÷ Gatehouse cookie allow (denials as fast as allows)', 'gh-auth-none', 'gh-auth-cookie')],
  ]
  for (const [label, a, b, op, target] of rows) {
    const value = a && b ? a / b : undefined
    const met = value === undefined || target === undefined ? '' : (op === '≥' ? value >= target : value <= target) ? 'met' : '**not met**'
    const ids = byId.get(label)
    const byCpu = ids ? ratio(cpuPerReq(ids[1]), cpuPerReq(ids[0])) : ''
    lines.push(`| ${label} | ${ratio(a, b)} | ${target === undefined ? '' : `${op} ${target}×`} | ${met} | ${byCpu} |`)
  }
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
