/**
 * `/oauth2/sign_out?rd=`: clears the session, then continues to the provider's end-session
 * endpoint (Keycloak) with `id_token_hint` and `post_logout_redirect_uri`, or to `rd`.
 *
 * A foreign site must not sign users out (an `<img src=…/oauth2/sign_out>`), nor see an
 * `id_token_hint`: a request that is not from a trusted origin (src/http/fetch-context.ts) gets a
 * confirmation page instead, whose button POSTs back with a token bound to the session cookie.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Context } from 'koa'
import { fromTrustedOrigin } from '../http/fetch-context.js'
import { readForm } from '../http/form.js'
import { messagePage, signOutConfirmPage } from '../http/pages.js'
import type { Runtime } from '../runtime.js'

const MAX_FORM_BYTES = 4096

/** The confirmation form's token: only someone who holds the session cookie can compute it. */
const formToken = (rt: Runtime, rawSession: string | undefined) =>
  createHmac('sha256', rt.config.cookie.keys[0]!).update(`sign-out\0${rawSession ?? ''}`).digest('base64url')

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

export function signOutRoute(getRuntime: () => Runtime) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    const header = ctx.get('cookie')
    ctx.set('Cache-Control', 'no-store')
    const form = ctx.method === 'POST' ? await readForm(ctx, MAX_FORM_BYTES) : undefined
    const rdParam = form?.get('rd') ?? (typeof ctx.query.rd === 'string' ? ctx.query.rd : undefined)
    const rd = rt.validateRedirect(rdParam)
    const token = formToken(rt, rt.sessions.raw(header))
    const trusted =
      fromTrustedOrigin(ctx.req.headers, rt.config.server.publicUrl, rt.validateRedirect) ||
      (form !== undefined && sameToken(form.get('token') ?? '', token))
    if (!trusted) {
      ctx.type = 'html'
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
      ctx.set('X-Frame-Options', 'DENY')
      ctx.body = signOutConfirmPage('/oauth2/sign_out', rd, token)
      return
    }

    // A session that cannot be read (store down, IdP unreachable at refresh) is still signed out here.
    const active = await Promise.resolve(rt.sessions.load(header)).catch(() => undefined)
    for (const cookie of rt.sessions.clear(header)) ctx.append('Set-Cookie', cookie)
    rt.sessions.forget(header)
    // A copy of the cookie taken before sign-out is refused too, in every process and replica.
    if (active) await rt.sessions.end(active, header).catch(() => undefined)
    const provider = active ? rt.providers.get(active.session.identity.provider) : undefined
    const afterLogout = rd ?? new URL('/oauth2/sign_in', rt.config.server.publicUrl).href
    const endSession = provider?.endSessionUrl?.(active && (await rt.sessions.idToken(active, header)), afterLogout)
    const next = endSession?.href ?? rd
    if (next) {
      ctx.redirect(next)
      // After a POST, the browser must continue with a GET.
      if (ctx.method === 'POST') ctx.status = 303
      return
    }
    ctx.type = 'html'
    ctx.body = messagePage('Signed out', 'You have been signed out.')
  }
}
