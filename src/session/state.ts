/**
 * Per-flow login state. Each `/oauth2/start` gets its own cookie, named by a hash of its state,
 * so parallel tabs don't clobber each other; at most MAX_FLOWS live at once (the oldest go), they
 * expire after `cookie.csrfExpire`, live under `/oauth2/` only (under `/` with a `__Host-` cookie
 * name, which browsers accept only with `Path=/`), and are cleared at the callback whatever its
 * outcome. Values are sealed, so the return URL and PKCE verifier stay private.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { boundedLru } from '../lru.js'
import type { Config } from '../config/load.js'
import { cookiesWithPrefix, isHostPrefixed, readCookie, serializeCookie, type CookieAttributes } from './cookies.js'
import { createSealer } from './seal.js'

export interface LoginFlow {
  state: string
  nonce: string
  codeVerifier: string
  /** The validated return URL. */
  rd: string
  provider: string
  /** Epoch milliseconds. */
  createdAt: number
}

const MAX_FLOWS = 5

export interface StateCookies {
  begin(provider: string, rd: string, cookieHeader: string | undefined): { flow: LoginFlow; setCookies: string[] }
  /** The flow for `state`, if its cookie is present, intact, unexpired, matches and is unused. */
  find(state: string, cookieHeader: string | undefined): LoginFlow | undefined
  /** Clears the flow's cookie (call on success and failure). */
  clear(state: string): string
}

const random = () => randomBytes(32).toString('base64url')

export function createStateCookies(config: Config): StateCookies {
  const { name, keys, secure, csrfExpireSeconds } = config.cookie
  const prefix = `${name}_csrf_`
  const sealer = createSealer(keys, `state:${name}`)
  // Lax, not Strict: the IdP's redirect back is a cross-site top-level GET.
  const path = isHostPrefixed(name) ? '/' : '/oauth2/'
  const attrs = (maxAge: number): CookieAttributes => ({ path, maxAge, secure, httpOnly: true, sameSite: 'lax' })
  // A replayed callback could carry a saved copy of the state cookie: remember used states.
  const used = boundedLru<string, true>(50_000, { ttl: csrfExpireSeconds * 1000 })
  const cookieName = (state: string) => prefix + createHash('sha256').update(state).digest('base64url').slice(0, 12)

  const open = (value: string): LoginFlow | undefined => {
    const flow = sealer.open<LoginFlow>(value)
    if (!flow || typeof flow.state !== 'string' || typeof flow.createdAt !== 'number') return undefined
    return Date.now() - flow.createdAt > csrfExpireSeconds * 1000 ? undefined : flow
  }

  return {
    begin(provider, rd, header) {
      const flow: LoginFlow = { state: random(), nonce: random(), codeVerifier: random(), rd, provider, createdAt: Date.now() }
      const setCookies = [serializeCookie(cookieName(flow.state), sealer.seal(flow), attrs(csrfExpireSeconds))]
      const live = cookiesWithPrefix(header, prefix)
        .map(([n, v]) => ({ n, created: open(v)?.createdAt ?? 0 }))
        .sort((a, b) => b.created - a.created)
      // Keep the newest MAX_FLOWS - 1 besides the new one; expired or broken ones go too.
      for (const [i, c] of live.entries()) {
        if (i >= MAX_FLOWS - 1 || c.created === 0) setCookies.push(serializeCookie(c.n, '', attrs(0)))
      }
      return { flow, setCookies }
    },
    find(state, header) {
      if (!state || state.length > 256) return undefined
      const wanted = cookieName(state)
      const value = readCookie(header, wanted)
      const flow = value && open(value)
      if (!flow) return undefined
      const a = Buffer.from(flow.state)
      const b = Buffer.from(state)
      if (a.length !== b.length || !timingSafeEqual(a, b) || used.has(state)) return undefined
      used.set(state, true)
      return flow
    },
    clear(state) {
      return serializeCookie(cookieName(state), '', attrs(0))
    },
  }
}
