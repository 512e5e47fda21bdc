/**
 * The session cookie: an AES-256-GCM sealed session (cookie store) or a ticket naming a session in
 * Redis (redis store, src/session/store-redis.ts), split into `name_0`, `name_1`, … when the value
 * passes ~4000 bytes. Reading is cached by a hash of the cookie value, so the hot path decrypts
 * only on the first request of each session; a cache entry never outlives the session's next
 * revalidation (`session.refresh`) nor a revocation (src/session/lifecycle.ts).
 */
import { randomBytes } from 'node:crypto'
import type { Config } from '../config/load.js'
import type { Identity } from '../plugin.js'
import type { CredentialCache } from '../tokens/cache.js'
import { hashCredential } from '../tokens/cache.js'
import { cookieCount, cookiesWithPrefix, readCookie, serializeCookie, type CookieAttributes } from './cookies.js'
import { createSealer } from './seal.js'
import { decisionSession } from './slim.js'
import type { SessionLifecycle } from './lifecycle.js'

export interface Session {
  /** Gatehouse's own session id (random), the unit of sign-out. */
  id: string
  identity: Identity
  idToken?: string
  accessToken?: string
  /** Epoch seconds. */
  accessExpiresAt?: number
  refreshToken?: string
  /** The IdP's session id (ID token `sid`), matched by back-channel logout. */
  sid?: string
  /** Epoch seconds. */
  createdAt: number
  /** Epoch seconds of the last revalidation with the IdP (login or refresh). */
  refreshedAt?: number
  /** Epoch seconds: min(createdAt + cookie.expire, the IdP's refresh_expires_in); a refresh moves it up to that cap. */
  expiresAt: number
}

/**
 * A cached session: what the verify path needs. The allow headers are not kept here: decide.ts
 * builds them through the header mapping, memoised per identity (src/headers/mapping.ts).
 */
export interface ActiveSession {
  /** Without the id_token and refresh token (src/session/slim.ts); `idToken()` reads the id_token. */
  session: Session
  cacheKey: string
  /** The revocation generation this entry was last checked against. */
  generation: number
}

export type SessionInput = Omit<Session, 'id' | 'createdAt' | 'expiresAt' | 'refreshedAt'> & { refreshExpiresAt?: number }

const CHUNK = 4000
const MAX_CHUNKS = 8

export interface SessionCookies {
  /** Revocation, refresh and the store; absent only for bare codecs in unit tests. */
  readonly lifecycle?: SessionLifecycle
  /** The raw sealed value from a Cookie header (reassembled from chunks), or undefined. */
  raw(cookieHeader: string | undefined): string | undefined
  /** Cached decode: undefined for a missing, tampered, truncated, expired or foreign-key cookie. */
  load(cookieHeader: string | undefined): ActiveSession | undefined | Promise<ActiveSession | undefined>
  create(input: SessionInput): Session
  /** Set-Cookie values writing the session (and clearing stale chunks); the cookie store only. */
  write(session: Session, cookieHeader: string | undefined): string[]
  /** Stores a new session (Redis in the redis store) and returns the Set-Cookie values. */
  save(session: Session, cookieHeader: string | undefined): Promise<string[]>
  /** Ends the session everywhere: sign-out. */
  end(active: ActiveSession, cookieHeader: string | undefined): Promise<void>
  /**
   * The session's id_token (for `id_token_hint`), read from the cookie or the store: cached entries
   * do not keep it. After `end` it is the one read just before the store entry was removed.
   */
  idToken(active: ActiveSession, cookieHeader: string | undefined): Promise<string | undefined>
  /** Set-Cookie values clearing every session cookie the request carried (or might carry). */
  clear(cookieHeader: string | undefined): string[]
  forget(cookieHeader: string | undefined): void
}

export function createSessionCookies(config: Config, cache: CredentialCache<ActiveSession>, lifecycle?: SessionLifecycle): SessionCookies {
  const { name, keys, domains, secure, sameSite, expireSeconds } = config.cookie
  const sealer = createSealer(keys, `session:${name}`)
  const host = config.server.publicUrl.hostname
  const domain = domains.find((d) => host === d.replace(/^\./, '') || host.endsWith(d.startsWith('.') ? d : '.' + d))
  const attrs = (maxAge: number): CookieAttributes => ({ path: '/', domain, maxAge, secure, httpOnly: true, sameSite })
  const chunkPrefix = name + '_'
  const chunkNames = Array.from({ length: MAX_CHUNKS }, (_, i) => chunkPrefix + i)

  /** A session cookie and its chunks, not other cookies that share the prefix (state cookies). */
  const cookieNamesOf = (base: string, header: string | undefined): string[] =>
    cookiesWithPrefix(header, base)
      .map(([n]) => n)
      .filter((n) => n === base || (n[base.length] === '_' && /^\d+$/.test(n.slice(base.length + 1))))
  const sessionCookieNames = (header: string | undefined) => cookieNamesOf(name, header)
  // The unprefixed name an earlier version used by default: its cookies are cleared at the next login.
  const legacy = name.replace(/^__(host|secure)-/i, '')
  const clearLegacy = (header: string | undefined): string[] =>
    legacy === name ? [] : cookieNamesOf(legacy, header).flatMap(clearing)
  /** Set-Cookie values deleting `n`, and its host-only copy when a domain is configured. */
  const clearing = (n: string): string[] =>
    domain ? [serializeCookie(n, '', attrs(0)), serializeCookie(n, '', { ...attrs(0), domain: undefined })] : [serializeCookie(n, '', attrs(0))]

  /**
   * Exactly one of the cookie or its chunk set, each name once; anything else (a second copy planted
   * from a sibling subdomain, both forms at once) is ambiguous and reads as no session.
   */
  const raw = (header: string | undefined): string | undefined => {
    const single = readCookie(header, name, '_0')
    if (single !== undefined) return single
    // The rare chunked session: chunk 0 once, and no whole cookie beside it.
    if (cookieCount(header, chunkNames[0]!) !== 1 || cookieCount(header, name) !== 0) return undefined
    let value = readCookie(header, chunkNames[0]!)!
    for (let i = 1; i < MAX_CHUNKS; i++) {
      const n = chunkNames[i]!
      const count = cookieCount(header, n)
      if (count === 0) break
      if (count === 2) return undefined
      value += readCookie(header, n)!
    }
    return value
  }

  const unseal = (value: string): Session | undefined => {
    const session = sealer.open<Session>(value)
    if (!session || typeof session.expiresAt !== 'number' || !session.identity) return undefined
    return session
  }
  const store = lifecycle?.store
  const keepAccessToken = config.headers.passAccessToken || config.headers.passAuthorization
  /** The stored session behind a cookie, tokens included; undefined when unreadable. */
  const stored = async (header: string | undefined): Promise<Session | undefined> => {
    const value = raw(header)
    if (!value) return undefined
    return store ? store.read(value).catch(() => undefined) : unseal(value)
  }
  /** id_tokens read by `end` before the store entry went away; the entry object dies with the request. */
  const endedIdTokens = new WeakMap<ActiveSession, string | undefined>()

  /** The cookie's Max-Age is the absolute cap (cookie.expire): a refresh may extend the session up to it. */
  const cookiesFor = (value: string, session: Session, header: string | undefined): string[] => {
    const maxAge = session.createdAt + expireSeconds - Math.floor(Date.now() / 1000)
    const out: string[] = clearLegacy(header)
    const present = new Set(sessionCookieNames(header))
    if (value.length <= CHUNK) {
      out.push(serializeCookie(name, value, attrs(maxAge)))
      for (const n of present) if (n !== name) out.push(serializeCookie(n, '', attrs(0)))
      return out
    }
    const chunks = Math.ceil(value.length / CHUNK)
    if (chunks > MAX_CHUNKS) throw new Error('session too large for cookies')
    for (let i = 0; i < chunks; i++) {
      out.push(serializeCookie(chunkPrefix + i, value.slice(i * CHUNK, (i + 1) * CHUNK), attrs(maxAge)))
      present.delete(chunkPrefix + i)
    }
    for (const n of present) out.push(serializeCookie(n, '', attrs(0)))
    return out
  }

  // ---- session lifecycle hook: revocation and refresh before answering (src/session/lifecycle.ts) ----
  const active = (session: Session, key: string, generation: number): ActiveSession => ({
    session: decisionSession(session, keepAccessToken),
    cacheKey: key,
    generation,
  })
  const verify = async (value: string, key: string) => {
    // Taken before any await: a revocation arriving meanwhile makes the next use re-check.
    const generation = lifecycle?.generation() ?? 0
    let session = store ? await store.read(value) : unseal(value)
    if (!session || session.expiresAt * 1000 <= Date.now()) return undefined
    if (lifecycle) {
      session = await lifecycle.current(session, value)
      if (!session) return undefined
    }
    return { value: active(session, key, generation), expiresAt: lifecycle ? lifecycle.cacheUntil(session) : session.expiresAt }
  }
  /** A cached entry checked since the last revocation is answered as is: the hot path costs one comparison. */
  const fresh = (hit: ActiveSession): boolean => {
    if (!lifecycle || hit.generation === lifecycle.generation()) return true
    if (lifecycle.isRevoked(hit.session)) return false
    hit.generation = lifecycle.generation()
    return true
  }
  // ---- end of lifecycle hook ----

  return {
    lifecycle,
    raw,
    load(header) {
      const value = raw(header)
      if (!value) return undefined
      const key = hashCredential(value)
      const hit = cache.peek(key)
      if (hit) {
        if (fresh(hit)) return hit
        cache.delete(key)
        return undefined
      }
      return cache.resolve(key, () => verify(value, key))
    },
    create(input) {
      const now = Math.floor(Date.now() / 1000)
      const { refreshExpiresAt, ...rest } = input
      const expiresAt = Math.min(now + expireSeconds, refreshExpiresAt ?? Infinity)
      return {
        ...rest,
        identity: { ...input.identity, expiresAt },
        id: randomBytes(16).toString('base64url'),
        createdAt: now,
        refreshedAt: now,
        expiresAt,
      }
    },
    async save(session, header) {
      return cookiesFor(store ? await store.create(session) : sealer.seal(session), session, header)
    },
    async end(loaded, header) {
      cache.delete(loaded.cacheKey)
      if (store) endedIdTokens.set(loaded, (await stored(header))?.idToken)
      await lifecycle?.end(loaded.session, raw(header) ?? '')
    },
    async idToken(loaded, header) {
      if (endedIdTokens.has(loaded)) return endedIdTokens.get(loaded)
      const session = await stored(header)
      return session?.id === loaded.session.id ? session.idToken : undefined
    },
    write(session, header) {
      return cookiesFor(sealer.seal(session), session, header)
    },
    clear(header) {
      // A host-only copy too, left by an earlier config without a cookie domain.
      return [...new Set([name, ...sessionCookieNames(header)])].flatMap(clearing).concat(clearLegacy(header))
    },
    forget(header) {
      const value = raw(header)
      if (value) cache.delete(hashCredential(value))
    },
  }
}
