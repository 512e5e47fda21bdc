/**
 * A login that authorization refused makes no session, but the forbidden page must still say who it
 * was, and sign-out must still end the IdP session (with the ID token as `id_token_hint`): a sealed,
 * HttpOnly cookie `<cookie.name>_denied` carries both for `cookie.csrfExpire`.
 */
import type { Identity } from '../plugin.js'
import type { Runtime } from '../runtime.js'
import { isHostPrefixed, readCookie, serializeCookie } from '../session/cookies.js'
import { createSealer } from '../session/seal.js'

const MAX_COOKIE_VALUE = 3800

/** A login the authorization refused: no session is made, but sign-out must still reach the IdP. */
export interface DeniedLogin {
  who?: string
  provider: string
  idToken?: string
  rd?: string
  /** Epoch seconds. */
  exp: number
}

export const displayName = (identity: Pick<Identity, 'email' | 'preferredUsername' | 'user'>): string =>
  identity.email ?? identity.preferredUsername ?? identity.user

export function deniedLogins(rt: Runtime) {
  const { name, keys, secure, csrfExpireSeconds } = rt.config.cookie
  const cookieName = `${name}_denied`
  const sealer = createSealer(keys, `denied:${name}`)
  const attrs = (maxAge: number) => ({ path: isHostPrefixed(name) ? '/' : '/oauth2/', maxAge, secure, httpOnly: true, sameSite: 'lax' as const })
  return {
    set(login: Omit<DeniedLogin, 'exp'>, now = Date.now()): string {
      const exp = Math.floor(now / 1000) + csrfExpireSeconds
      let value = sealer.seal({ ...login, exp })
      // Browsers drop a cookie over 4 KiB; without the ID token the IdP asks before ending its session.
      if (value.length > MAX_COOKIE_VALUE) value = sealer.seal({ ...login, idToken: undefined, exp })
      return serializeCookie(cookieName, value, attrs(csrfExpireSeconds))
    },
    read(header: string | undefined, now = Date.now()): DeniedLogin | undefined {
      const value = readCookie(header, cookieName)
      const login = value ? sealer.open<DeniedLogin>(value) : undefined
      return login && typeof login.provider === 'string' && typeof login.exp === 'number' && login.exp * 1000 >= now ? login : undefined
    },
    present: (header: string | undefined) => readCookie(header, cookieName) !== undefined,
    clear: () => serializeCookie(cookieName, '', attrs(0)),
  }
}
