/**
 * `/oauth2/sign_out?rd=`: clears the session, then continues to the provider's end-session
 * endpoint (Keycloak) with `id_token_hint` and `post_logout_redirect_uri`, or to `rd`.
 */
import type { Context } from 'koa'
import { messagePage } from '../http/pages.js'
import type { Runtime } from '../runtime.js'

export function signOutRoute(getRuntime: () => Runtime) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    const header = ctx.get('cookie')
    const loaded = rt.sessions.load(header)
    const active = loaded instanceof Promise ? await loaded : loaded
    for (const cookie of rt.sessions.clear(header)) ctx.append('Set-Cookie', cookie)
    rt.sessions.forget(header)
    ctx.set('Cache-Control', 'no-store')
    const rdParam = typeof ctx.query.rd === 'string' ? ctx.query.rd : undefined
    const rd = rt.validateRedirect(rdParam)
    const provider = active ? rt.providers.get(active.session.identity.provider) : undefined
    const afterLogout = rd ?? new URL('/oauth2/sign_in', rt.config.server.publicUrl).href
    const endSession = provider?.endSessionUrl?.(active?.session.idToken, afterLogout)
    if (endSession) {
      ctx.redirect(endSession.href)
      return
    }
    if (rd) {
      ctx.redirect(rd)
      return
    }
    ctx.type = 'html'
    ctx.body = messagePage('Signed out', 'You have been signed out.')
  }
}
