/**
 * `/oauth2/forbidden?rd=`: "signed in, but not allowed". Reached by a redirect, so the address bar
 * no longer holds a one-time callback URL and a reload shows the same page. It names the account
 * (from the session, or, after a refused login, from a short-lived sealed cookie the callback set)
 * and offers "Use another account" (sign out, then sign in with the IdP's account chooser) and
 * "Sign out".
 */
import type { Context } from 'koa'
import type { Identity } from '../plugin.js'
import { forbiddenPage, sendPage } from '../http/pages.js'
import { uiOf } from '../http/respond.js'
import type { Runtime } from '../runtime.js'
import { isHostPrefixed, readCookie, serializeCookie } from '../session/cookies.js'
import { createSealer } from '../session/seal.js'
import { signOutToken } from './sign-out.js'
import { isBrowserNavigation } from '../request/deny-shape.js'

export const FORBIDDEN_PATH = '/oauth2/forbidden'
const MAX_COOKIE_VALUE = 3800
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

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


/** The forbidden page's URL, carrying the URL that was refused (validated again on arrival). */
export function forbiddenUrl(rt: Runtime, rd: string | undefined): string {
  const url = new URL(FORBIDDEN_PATH, rt.config.server.publicUrl)
  if (rd) url.searchParams.set('rd', rd)
  return url.href
}

/** Sign in again with the IdP's account chooser (or login form), then back to `rd`. */
function switchAccountPath(provider: string | undefined, rd: string | undefined): string {
  const params = new URLSearchParams()
  if (rd) params.set('rd', rd)
  if (provider) params.set('provider', provider)
  params.set('switch_account', '1')
  return `/oauth2/start?${params}`
}

export function forbiddenRoute(getRuntime: () => Runtime) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    const header = ctx.get('cookie')
    const active = await Promise.resolve(rt.sessions.load(header)).catch(() => undefined)
    const denied = active ? undefined : deniedLogins(rt).read(header)
    const identity = active?.session.identity
    const rd = rt.validateRedirect(typeof ctx.query.rd === 'string' ? ctx.query.rd : undefined) ?? rt.validateRedirect(denied?.rd)
    const provider = identity?.provider ?? denied?.provider
    const ui = uiOf(ctx)
    const html = forbiddenPage(ui, {
      who: identity ? displayName(identity) : denied?.who,
      signOutAction: '/oauth2/sign_out',
      token: signOutToken(rt, rt.sessions.raw(header)),
      switchRd: switchAccountPath(provider && rt.providers.has(provider) ? provider : undefined, rd),
    })
    sendPage(ctx, ui, html, 403)
  }
}

/**
 * A browser navigation refused for a signed-in user goes to the forbidden page, where the account
 * is named and can be switched. Only for deny shapes that may redirect (never nginx's /oauth2/auth).
 */
export function redirectForbidden(ctx: Context, rt: Runtime, outcome: { method: string; original: { method: string; url?: URL } }): boolean {
  // Only a session names an account; a `deny` rule or a bearer token keeps its plain 403.
  if (outcome.method !== 'cookie' || !isBrowserNavigation(ctx.req.headers)) return false
  const url = outcome.original.url
  ctx.status = SAFE_METHODS.has(outcome.original.method) ? 302 : 303
  ctx.set('Location', forbiddenUrl(rt, url ? rt.validateRedirect(url.href) : undefined))
  ctx.body = ''
  return true
}
