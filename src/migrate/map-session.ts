/** Cookie and session settings, Redis included; the cookie secret's rules differ (see cookieSecret). */
import { decodeSecret } from '../config/load.js'
import { parseDuration } from '../config/duration.js'
import type { MigrateContext } from './context.js'

type Obj = Record<string, unknown>

/**
 * oauth2-proxy takes a cookie secret of 16, 24 or 32 bytes as it is, or else base64-decodes it to one of those
 * lengths; Gatehouse takes exactly 32 bytes written as base64/base64url. A secret that decodes to 32 bytes works
 * in both; any other needs a new one.
 */
function cookieSecret(ctx: MigrateContext, cookie: Obj): void {
  const secret = ctx.str('cookie_secret')
  if (secret !== undefined && decodeSecret(secret)) {
    cookie.secret = ctx.secret('OAUTH2_PROXY_COOKIE_SECRET', 'the cookie secret (32 bytes, base64: the old value works)', secret)
    ctx.line('cookie_secret', 'mapped', 'cookie.secret', 'as ${OAUTH2_PROXY_COOKIE_SECRET}; the value decodes to 32 bytes, so it works as it is. Old oauth2-proxy cookies are not read: users sign in once')
    return
  }
  cookie.secret = ctx.secret('GATEHOUSE_COOKIE_SECRET', 'a new cookie secret: openssl rand -base64 32')
  const why =
    secret === undefined
      ? 'not in the input'
      : 'oauth2-proxy accepts 16, 24 or 32 raw bytes or their base64; Gatehouse needs exactly 32 random bytes written as base64 or base64url, and this value is not that'
  if (secret === undefined && !ctx.has('cookie_secret_file')) ctx.remark('--cookie-secret', 'missing', 'cookie.secret', `${why}: set GATEHOUSE_COOKIE_SECRET to the output of \`openssl rand -base64 32\``)
  else if (secret === undefined) ctx.line('cookie_secret_file', 'difference', 'cookie.secret', 'Gatehouse reads ${GATEHOUSE_COOKIE_SECRET}: put 32 random bytes, base64 (`openssl rand -base64 32`), in that variable')
  else ctx.line('cookie_secret', 'difference', 'cookie.secret', `${why}: set GATEHOUSE_COOKIE_SECRET to the output of \`openssl rand -base64 32\` (users sign in once)`)
}

function duration(ctx: MigrateContext, key: string, target: string, set: (v: string) => void, allowZero = false): void {
  const v = ctx.str(key)
  if (v === undefined) return
  if (allowZero && /^0+[a-z]*$/i.test(v)) {
    set('0')
    ctx.line(key, 'mapped', target, 'off')
    return
  }
  if (parseDuration(v) !== undefined && parseDuration(v)! > 0) {
    set(v)
    ctx.line(key, 'mapped', target)
  } else ctx.line(key, 'unsupported', target, `"${v}" is not a positive duration Gatehouse reads (such as 168h or 30m)${key === 'cookie_expire' ? '; browser-session cookies (0) are not supported' : ''}`)
}

function mapCookie(ctx: MigrateContext, out: Obj, publicHost: string | undefined): void {
  const cookie: Obj = {}
  cookieSecret(ctx, cookie)
  const name = ctx.str('cookie_name')
  if (name !== undefined) {
    if (/^[A-Za-z0-9_-]+$/.test(name)) {
      cookie.name = name
      ctx.line('cookie_name', 'mapped', 'cookie.name', 'the cookie format differs: an old cookie of that name is ignored and the user signs in once')
    } else ctx.line('cookie_name', 'unsupported', 'cookie.name', `"${name}" is not a plain cookie token; Gatehouse's default name is used`)
  }
  const domains = ctx.list('cookie_domains')
  if (domains.length) {
    // oauth2-proxy picks the first domain that fits the request host; Gatehouse's must all cover the public host.
    const bare = domains.map((d) => d.replace(/:\d+$/, '').toLowerCase())
    const fits = (d: string) => !publicHost || publicHost === d.replace(/^\./, '') || publicHost.endsWith(`.${d.replace(/^\./, '')}`)
    const kept = [...new Set(bare.filter(fits))]
    const dropped = domains.filter((_, i) => !fits(bare[i]!))
    if (kept.length) cookie.domains = kept
    ctx.line(
      'cookie_domains',
      dropped.length || bare.some((d, i) => d !== domains[i]) ? 'difference' : 'mapped',
      'cookie.domains',
      [dropped.length ? `dropped ${dropped.join(', ')}: not the public URL's host ${publicHost} or a parent of it` : '', bare.some((d, i) => d !== domains[i]) ? 'ports removed (cookies have none)' : '']
        .filter(Boolean)
        .join('; ') || undefined,
    )
  }
  const secure = ctx.bool('cookie_secure')
  if (secure !== undefined) {
    cookie.secure = secure
    ctx.line('cookie_secure', 'mapped', 'cookie.secure')
  }
  const sameSite = ctx.str('cookie_samesite')
  if (sameSite !== undefined) {
    if (['lax', 'strict', 'none'].includes(sameSite.toLowerCase())) {
      cookie.sameSite = sameSite.toLowerCase()
      ctx.line('cookie_samesite', 'mapped', 'cookie.sameSite')
    } else ctx.line('cookie_samesite', 'difference', 'cookie.sameSite', 'empty (no SameSite attribute) is not offered: Gatehouse uses lax')
  }
  duration(ctx, 'cookie_expire', 'cookie.expire', (v) => (cookie.expire = v))
  duration(ctx, 'cookie_csrf_expire', 'cookie.csrfExpire', (v) => (cookie.csrfExpire = v))
  ctx.line('cookie_httponly', ctx.bool('cookie_httponly') === false ? 'unsupported' : 'not-needed', undefined, 'Gatehouse cookies are always HttpOnly')
  ctx.line('cookie_path', 'unsupported', undefined, 'Gatehouse cookies are always Path=/')
  ctx.line('cookie_csrf_per_request', 'not-needed', undefined, 'each login flow already has its own state cookie')
  ctx.line('session_cookie_minimal', 'not-needed', undefined, 'Gatehouse keeps only what it needs in the cookie; use session.store: redis for small cookies')
  out.cookie = cookie
}

/** `redis://host:port` → `host:port`. */
const hostPort = (url: string) => url.replace(/^rediss?:\/\/(?:[^@/]*@)?/, '').replace(/\/.*$/, '')

function mapSession(ctx: MigrateContext, out: Obj): void {
  const session: Obj = {}
  duration(ctx, 'cookie_refresh', 'session.refresh', (v) => (session.refresh = v), true)
  if (!ctx.has('cookie_refresh')) {
    // oauth2-proxy does not revalidate sessions unless cookie_refresh is set; Gatehouse does every 5m by default.
    ctx.remark('--cookie-refresh', 'difference', 'session.refresh: 5m', "not set: oauth2-proxy never refreshes; Gatehouse's default revalidates a session with the IdP every 5m (set session.refresh: \"0\" to turn that off)")
  }
  const store = ctx.str('session_store_type')
  if (store === 'redis') {
    const redis: Obj = {}
    const url = ctx.str('redis_connection_url')
    const sentinels = ctx.list('redis_sentinel_connection_urls')
    const cluster = ctx.list('redis_cluster_connection_urls')
    if (ctx.bool('redis_use_sentinel') && sentinels.length) {
      redis.sentinels = sentinels.map(hostPort)
      redis.masterName = ctx.str('redis_sentinel_master_name') ?? ctx.secret('REDIS_SENTINEL_MASTER_NAME', 'the sentinel master name (not in the input)')
      ctx.line('redis_use_sentinel', 'mapped', 'session.redis.sentinels')
      ctx.line('redis_sentinel_connection_urls', 'mapped', 'session.redis.sentinels')
      ctx.line('redis_sentinel_master_name', 'mapped', 'session.redis.masterName')
      if (sentinels.some((s) => s.startsWith('rediss:'))) redis.tls = true
    } else if (ctx.bool('redis_use_cluster') && cluster.length) {
      redis.cluster = cluster.map(hostPort)
      ctx.line('redis_use_cluster', 'mapped', 'session.redis.cluster')
      ctx.line('redis_cluster_connection_urls', 'mapped', 'session.redis.cluster')
      if (cluster.some((s) => s.startsWith('rediss:'))) redis.tls = true
    } else {
      const u = url ?? 'redis://127.0.0.1:6379'
      // A password written in the URL moves to the environment like any other secret.
      const m = /^(rediss?:\/\/)(?:([^:@/]*)(?::([^@/]*))?@)?(.*)$/.exec(u)
      if (m?.[3]) ctx.secret('OAUTH2_PROXY_REDIS_PASSWORD', 'the Redis password (it was in the connection URL)', decodeURIComponent(m[3]))
      redis.url = m ? `${m[1]}${m[2] ? `${m[2]}@` : ''}${m[4]}` : u
      if (m?.[3]) redis.password = '${OAUTH2_PROXY_REDIS_PASSWORD}'
      if (url) ctx.line('redis_connection_url', m?.[3] ? 'difference' : 'mapped', 'session.redis.url', m?.[3] ? 'the password moved out of the URL into ${OAUTH2_PROXY_REDIS_PASSWORD}' : undefined)
      else ctx.remark('--redis-connection-url', 'missing', 'session.redis.url', 'not in the input: redis://127.0.0.1:6379 assumed')
    }
    const password = ctx.str('redis_password')
    if (password !== undefined) {
      redis.password = ctx.secret('OAUTH2_PROXY_REDIS_PASSWORD', 'the Redis password', password)
      ctx.line('redis_password', 'mapped', 'session.redis.password', 'as ${OAUTH2_PROXY_REDIS_PASSWORD}')
    }
    if (ctx.has('redis_sentinel_password')) {
      ctx.line('redis_sentinel_password', 'unsupported', 'session.redis.password', 'one password serves the sentinels and Redis; use the same password for both')
    }
    ctx.line('redis_username', 'difference', 'session.redis.url', 'write the user in the URL: redis://user@host:6379')
    ctx.line('redis_ca_path', 'unsupported', undefined, "trust the CA through NODE_EXTRA_CA_CERTS=<path> in Gatehouse's environment")
    ctx.line('redis_insecure_skip_tls_verify', 'unsupported', undefined, 'Gatehouse always verifies the Redis TLS certificate')
    ctx.line('redis_connection_idle_timeout', 'not-needed', undefined, 'connections are kept and re-established by the client')
    session.store = 'redis'
    session.redis = redis
    ctx.line('session_store_type', 'mapped', 'session.store: redis')
  } else {
    ctx.line('session_store_type', 'mapped', 'session.store: cookie')
    for (const key of [...ctx.options.keys()].filter((k) => k.startsWith('redis_'))) ctx.line(key, 'not-needed', undefined, 'the session store is not redis')
  }
  if (Object.keys(session).length) out.session = session
}

export function mapSessionAndCookie(ctx: MigrateContext, out: Obj, publicHost: string | undefined): void {
  mapCookie(ctx, out, publicHost)
  mapSession(ctx, out)
}
