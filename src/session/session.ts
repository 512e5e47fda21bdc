/**
 * The session cookie: an AES-256-GCM sealed session, split into `name_0`, `name_1`, … when the
 * sealed value passes ~4000 bytes. Reading is cached by a hash of the cookie value, so the hot
 * path decrypts only on the first request of each session.
 */
import { randomBytes } from 'node:crypto'
import type { Config } from '../config/load.js'
import type { Identity } from '../plugin.js'
import { identityHeaderValues } from '../headers/identity.js'
import type { CredentialCache } from '../tokens/cache.js'
import { hashCredential } from '../tokens/cache.js'
import { cookieCount, cookiesWithPrefix, readCookie, serializeCookie, type CookieAttributes } from './cookies.js'
import { createSealer } from './seal.js'

export interface Session {
  id: string
  identity: Identity
  idToken?: string
  accessToken?: string
  refreshToken?: string
  /** Epoch seconds. */
  createdAt: number
  /** Epoch seconds; absolute, never extended by refresh. */
  expiresAt: number
}

/** What the verify path needs from a session, with header values computed once. */
export interface ActiveSession {
  session: Session
  headers: [string, string][]
  cacheKey: string
}

const CHUNK = 4000
const MAX_CHUNKS = 8

export interface SessionCookies {
  /** The raw sealed value from a Cookie header (reassembled from chunks), or undefined. */
  raw(cookieHeader: string | undefined): string | undefined
  /** Cached decode: undefined for a missing, tampered, truncated, expired or foreign-key cookie. */
  load(cookieHeader: string | undefined): ActiveSession | undefined | Promise<ActiveSession | undefined>
  create(input: Omit<Session, 'id' | 'createdAt' | 'expiresAt'>): Session
  /** Set-Cookie values writing the session (and clearing stale chunks). */
  write(session: Session, cookieHeader: string | undefined): string[]
  /** Set-Cookie values clearing every session cookie the request carried (or might carry). */
  clear(cookieHeader: string | undefined): string[]
  forget(cookieHeader: string | undefined): void
}

export function createSessionCookies(config: Config, cache: CredentialCache<ActiveSession>): SessionCookies {
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

  const decode = (value: string): ActiveSession | undefined => {
    const session = sealer.open<Session>(value)
    if (!session || typeof session.expiresAt !== 'number' || !session.identity) return undefined
    if (session.expiresAt * 1000 <= Date.now()) return undefined
    return { session, headers: identityHeaderValues(session.identity, config.headers.roles), cacheKey: '' }
  }

  return {
    raw,
    load(header) {
      const value = raw(header)
      if (!value) return undefined
      const key = hashCredential(value)
      const hit = cache.peek(key)
      if (hit) return hit
      return cache.resolve(key, async () => {
        const active = decode(value)
        if (!active) return undefined
        active.cacheKey = key
        return { value: active, expiresAt: active.session.expiresAt }
      })
    },
    create(input) {
      const now = Math.floor(Date.now() / 1000)
      const expiresAt = now + expireSeconds
      return {
        ...input,
        identity: { ...input.identity, expiresAt },
        id: randomBytes(16).toString('base64url'),
        createdAt: now,
        expiresAt,
      }
    },
    write(session, header) {
      const value = sealer.seal(session)
      const maxAge = session.expiresAt - Math.floor(Date.now() / 1000)
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
