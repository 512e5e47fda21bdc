/**
 * `/oauth2/forbidden?rd=`: "signed in, but not allowed". Reached by a redirect, so the address bar
 * no longer holds a one-time callback URL and a reload shows the same page. It names the account
 * (from the session, or, after a refused login, from a short-lived sealed cookie the callback set)
 * and offers "Use another account" (sign out, then sign in with the IdP's account chooser) and
 * "Sign out".
 */
import type { Context } from 'koa'
import { forbiddenPage, sendPage } from '../http/pages.js'
import { uiOf } from '../http/respond.js'
import type { Runtime } from '../runtime.js'
import { deniedLogins, displayName } from './denied-login.js'
import { signOutToken } from './sign-out.js'

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
