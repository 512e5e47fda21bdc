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
import { cookiesWithPrefix, readCookie, serializeCookie, type CookieAttributes } from './cookies.js'
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

  /** The session cookie and its chunks, not other cookies that share the prefix (state cookies). */
  const sessionCookieNames = (header: string | undefined): string[] =>
    cookiesWithPrefix(header, name)
      .map(([n]) => n)
      .filter((n) => n === name || /^\d+$/.test(n.slice(chunkPrefix.length)))

  const raw = (header: string | undefined): string | undefined => {
    const single = readCookie(header, name)
    if (single) return single
    const first = readCookie(header, chunkPrefix + '0')
    if (!first) return undefined
    let value = first
    for (let i = 1; i < MAX_CHUNKS; i++) {
      const next = readCookie(header, chunkPrefix + i)
      if (!next) break
      value += next
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
      const out: string[] = []
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
      const out: string[] = []
      for (const n of new Set([name, ...sessionCookieNames(header)])) {
        out.push(serializeCookie(n, '', attrs(0)))
        // Also clear a host-only copy, left by an earlier config without a cookie domain.
        if (domain) out.push(serializeCookie(n, '', { ...attrs(0), domain: undefined }))
      }
      return out
    },
    forget(header) {
      const value = raw(header)
      if (value) cache.delete(hashCredential(value))
    },
  }
}
