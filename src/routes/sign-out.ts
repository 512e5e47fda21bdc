/**
 * `/oauth2/sign_out?rd=`: clears the session, then continues to the provider's end-session
 * endpoint (Keycloak) with `id_token_hint`, or straight to the signed-out page.
 *
 * The IdP only ever gets one `post_logout_redirect_uri`, the signed-out page (signed-out.ts): an
 * app's `rd` that the IdP does not know would make Keycloak refuse the logout and keep its session.
 * The validated `rd` travels sealed in `state`, and the signed-out page goes on to it.
 *
 * A foreign site must not sign users out (an `<img src=…/oauth2/sign_out>`), nor see an
 * `id_token_hint`: a request that is not from a trusted origin (src/http/fetch-context.ts) gets a
 * confirmation page instead, whose button POSTs back with a token bound to the session cookie.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Context } from 'koa'
import { fromTrustedOrigin } from '../http/fetch-context.js'
import { readForm } from '../http/form.js'
import { sendPage, signOutConfirmPage } from '../http/pages.js'
import { uiOf } from '../http/respond.js'
import type { Runtime } from '../runtime.js'
import { deniedLogins } from './denied-login.js'
import { sealSignOutState, signedOutUrl, signedOutWithState } from './signed-out.js'

const MAX_FORM_BYTES = 4096

/** The confirmation form's token: only someone who holds the session cookie can compute it. */
export const signOutToken = (rt: Runtime, rawSession: string | undefined) =>
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
    const token = signOutToken(rt, rt.sessions.raw(header))
    const trusted =
      fromTrustedOrigin(ctx.req.headers, rt.config.server.publicUrl, rt.validateRedirect) ||
      (form !== undefined && sameToken(form.get('token') ?? '', token))
    if (!trusted) {
      const ui = uiOf(ctx)
      sendPage(ctx, ui, signOutConfirmPage(ui, '/oauth2/sign_out', rd, token))
      return
    }

    // A session that cannot be read (store down, IdP unreachable at refresh) is still signed out here.
    const active = await Promise.resolve(rt.sessions.load(header)).catch(() => undefined)
    for (const cookie of rt.sessions.clear(header)) ctx.append('Set-Cookie', cookie)
    rt.sessions.forget(header)
    // A copy of the cookie taken before sign-out is refused too, in every process and replica.
    if (active) await rt.sessions.end(active, header).catch(() => undefined)
    // A login refused by authorization left no session, but an IdP session that sign-out must end.
    const denied = deniedLogins(rt)
    const refused = active ? undefined : denied.read(header)
    if (denied.present(header)) ctx.append('Set-Cookie', denied.clear())
    const provider = rt.providers.get(active?.session.identity.provider ?? refused?.provider ?? '')
    const state = rd ? sealSignOutState(rt, rd) : undefined
    const idToken = active ? await rt.sessions.idToken(active, header) : refused?.idToken
    const endSession = provider?.endSessionUrl?.(idToken, signedOutUrl(rt), state)
    ctx.redirect(endSession?.href ?? signedOutWithState(rt, state))
    // After a POST, the browser must continue with a GET.
    if (ctx.method === 'POST') ctx.status = 303
  }
}
