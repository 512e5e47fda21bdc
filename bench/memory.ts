/**
 * RSS and heap cost of cached sessions: a child process seals N distinct sessions with the real
 * cookie code (as logins would, elsewhere: sealing 100k cookies in the measured process left ~1.9 KB
 * of allocator slack per session in its RSS that no cache entry holds), this process feeds each
 * Cookie header through `sessions.load` (the verify path: hash → cache miss → decrypt → cache set) and
 * builds its allow headers as the first /oauth2/auth allow does (decide.ts's mapped headers, memoised per
 * identity; the fast path's flat head is built per request), drops the cookie strings, and
 * measures after full GCs. A warm-up pass on a throwaway cache comes first, so the young generation's
 * growth and the allocator's pools are in the baseline, not charged to the entries.
 * Run with --expose-gc. Prints one JSON line.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { buildConfig } from '../src/config/load.js'
import { createMetrics } from '../src/metrics.js'
import { createSessionCookies, type ActiveSession } from '../src/session/session.js'
import { createCredentialCache } from '../src/tokens/cache.js'
import { createBearerVerifier, type BearerEntry } from '../src/tokens/bearer.js'
import { createLogger } from '../src/logger.js'
import { headerMapping } from '../src/headers/mapping.js'
import type { Identity, Provider } from '../src/plugin.js'
import { decodeJwt } from 'jose'

const sealInto = process.argv.indexOf('--seal-into')
const gc = (globalThis as { gc?: () => void }).gc
if (!gc && sealInto < 0) throw new Error('run with node --expose-gc')
const N = process.argv.includes('--quick') ? 25_000 : 100_000
const secret = process.env.GATEHOUSE_BENCH_SECRET ?? randomBytes(32).toString('base64url')

/** After full GCs, and once the heap has settled (no longer shrinking), so RSS is not read mid-sweep. */
const settle = async () => {
  let last = Infinity
  for (let i = 0; i < 10; i++) {
    gc!()
    await new Promise((r) => setTimeout(r, 100))
    const used = process.memoryUsage().heapUsed
    if (i >= 2 && used >= last - 64 * 1024) break
    last = used
  }
  const m = process.memoryUsage()
  return { rss: m.rss, heap: m.heapUsed }
}

const config = await buildConfig({
  server: { listen: '127.0.0.1:4180', publicUrl: 'http://127.0.0.1:4180' },
  cookie: { secret, secure: false },
  providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'gatehouse', clientSecret: 's', allowInsecureRequests: true }],
  authorization: {},
  cache: { maxEntries: N, maxTtl: '1h' },
  logging: { level: 'silent' },
})
const metrics = createMetrics({ defaultMetrics: false })
const cache = createCredentialCache<ActiveSession>({ name: 'session', maxEntries: N, maxTtlSeconds: 3600, metrics })
const sessions = createSessionCookies(config, cache)

const identity = (i: number) => ({
  subject: `5b7e7c1e-7f0c-5d2e-9a51-${String(i).padStart(12, '0')}`,
  user: `5b7e7c1e-7f0c-5d2e-9a51-${String(i).padStart(12, '0')}`,
  email: `user${i}@example.com`,
  preferredUsername: `user${i}`,
  groups: ['staff', 'sre'],
  roles: ['admin', 'offline_access'],
  provider: 'corp',
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
})

if (sealInto >= 0) {
  // Child: one Cookie header per line, with tokens like a real login's.
  const { createWriteStream } = await import('node:fs')
  const out = createWriteStream(process.argv[sealInto + 1]!)
  const token = () => 'eyJhbGciOiJSUzI1NiJ9.' + randomBytes(300).toString('base64url')
  for (let i = 0; i < N; i++) {
    const s = sessions.create({ identity: identity(i), idToken: token(), accessToken: token(), refreshToken: token().slice(0, 200) })
    if (!out.write(sessions.write(s, undefined)[0]!.split(';')[0]! + '\n')) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  await new Promise<void>((r) => out.end(() => r()))
  process.exit(0)
}
const dir = mkdtempSync(join(tmpdir(), 'gh-memory-'))
const cookieFile = join(dir, 'cookies.txt')
const child = spawnSync(process.execPath, [...process.execArgv.filter((a) => a !== '--expose-gc'), process.argv[1]!, ...process.argv.slice(2), '--seal-into', cookieFile], {
  env: { ...process.env, GATEHOUSE_BENCH_SECRET: secret },
  stdio: 'inherit',
})
if (child.status !== 0) throw new Error('sealing the cookies failed')

// Cookies in flight at once, as many as the load benches' 50 connections. Batches of 2,000 (before 2026-12-02 16:30)
// held ~5 MB of cookie strings across scavenges: promoted, then dead, they left old-space pages part-filled, and
// 100,000 sessions read +99 to +124 MB of RSS instead of +67 to +82 (heap alike, 524-611 B per session).
const BATCH = 50
// What the first allow keeps per identity: the mapped headers (decide.ts, memoised per identity). The fast path's
// flat head is built per request (routes/verify.ts).
const mapping = headerMapping(config.headers)
const remember = (identity: Identity) => {
  mapping.identity(identity)
}
const loadBatch = async (s: typeof sessions, lines: string[]) => {
  for (const active of await Promise.all(lines.map((h) => s.load(h)))) if (active) remember(active.session.identity)
}
const cookieLines = () => createInterface({ input: createReadStream(cookieFile) })
// Warm-up with a throwaway cache: the bursts grow V8's young generation and the allocator's pools,
// a one-off cost that is not per entry; measuring from a cold start would charge it to the entries.
{
  const warmCache = createCredentialCache<ActiveSession>({ name: 'warm', maxEntries: N, maxTtlSeconds: 3600, metrics: createMetrics({ defaultMetrics: false }) })
  const warm = createSessionCookies(config, warmCache)
  let lines: string[] = []
  let count = 0
  for await (const line of cookieLines()) {
    lines.push(line)
    if (lines.length === BATCH) {
      await loadBatch(warm, lines)
      lines = []
      if ((count += BATCH) >= Math.min(20_000, N / 2)) break
    }
  }
}
const before = await settle()
let batch: string[] = []
for await (const line of cookieLines()) {
  batch.push(line)
  if (batch.length === BATCH) {
    await loadBatch(sessions, batch)
    batch = []
  }
}
await loadBatch(sessions, batch)
batch = []
rmSync(dir, { recursive: true, force: true })
if (cache.size !== N) throw new Error(`expected ${N} cached sessions, have ${cache.size}`)
const after = await settle()
const row = {
  cache: 'sessions (sealed cookie → ActiveSession + the memoised allow headers; id, access and refresh tokens stay in the cookie)',
  entries: cache.size,
  rssBefore: before.rss,
  rssAfter: after.rss,
  heapAfter: after.heap,
  rssPerEntry: (after.rss - before.rss) / N,
  heapPerEntry: (after.heap - before.heap) / N,
}

// Bearer tokens: the real BearerVerifier and cache (SHA-256 key → identity + header values), with a
// provider whose verifyBearer decodes the payload instead of checking a signature (the signature
// check holds no memory). Tokens are ~900-byte Keycloak-shaped JWTs, dropped after each batch.
const bearerCache = createCredentialCache<BearerEntry>({ name: 'bearer', maxEntries: N, maxTtlSeconds: 3600, metrics })
const provider = {
  id: 'corp',
  async verifyBearer(token: string) {
    const c = decodeJwt(token) as Record<string, unknown>
    return {
      subject: String(c.sub), user: String(c.sub), email: String(c.email), preferredUsername: String(c.preferred_username),
      groups: c.groups as string[], roles: (c.realm_access as { roles: string[] }).roles, provider: 'corp', expiresAt: Number(c.exp),
    }
  },
} as unknown as Provider
const bearer = createBearerVerifier({ providers: [provider], extraIssuers: [], cache: bearerCache, metrics, logger: createLogger('silent') })
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const beforeB = await settle()
for (let start = 0; start < N; start += BATCH) {
  const tokens: string[] = []
  for (let i = start; i < start + BATCH; i++) {
    const id = identity(i)
    const payload = {
      exp: id.expiresAt, iat: id.expiresAt - 300, jti: randomBytes(16).toString('hex'), iss: 'http://127.0.0.1:8080/realms/test',
      aud: ['gatehouse', 'account'], sub: id.subject, typ: 'Bearer', azp: 'gatehouse', scope: 'openid email profile',
      email_verified: true, email: id.email, preferred_username: id.preferredUsername, groups: id.groups, realm_access: { roles: id.roles },
    }
    tokens.push(`${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64(payload)}.${randomBytes(256).toString('base64url')}`)
  }
  for (const v of await Promise.all(tokens.map((t) => bearer.check(t)))) if (typeof v === 'object') remember(v.identity)
}
if (bearerCache.size !== N) throw new Error(`expected ${N} cached tokens, have ${bearerCache.size}`)
const afterB = await settle()
const rowB = {
  cache: 'verified bearer tokens (hash → identity, + the memoised allow headers)',
  entries: bearerCache.size,
  rssBefore: beforeB.rss,
  rssAfter: afterB.rss,
  heapAfter: afterB.heap,
  rssPerEntry: (afterB.rss - beforeB.rss) / N,
  heapPerEntry: (afterB.heap - beforeB.heap) / N,
}
const rows: Record<string, unknown>[] = [row, rowB]
process.stdout.write(JSON.stringify({
  method: `${N.toLocaleString('en-US')} distinct sessions fed through sessions.load() (SHA-256 key, AES-GCM open, LRU set, then what the first /oauth2/auth allow memoises per identity: the mapped headers) in one process, 50 cookies in flight at a time, after a warm-up pass on a throwaway cache; RSS and heapUsed after forced GCs until the heap stops shrinking, before vs after; the cookie strings are dropped first. Each session cookie carries ~400-byte id and access tokens and a refresh token like a real login; the cookies are sealed by a child process and read from a file. Bearer: ${N.toLocaleString('en-US')} distinct ~900-byte JWTs through the real BearerVerifier.check() and cache, measured after the sessions (a stub provider decodes the payload instead of verifying the signature, which holds no memory).`,
  rows,
}) + '\n')
