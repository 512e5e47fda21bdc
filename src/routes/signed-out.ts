/**
 * `/oauth2/signed_out`: the one `post_logout_redirect_uri` Gatehouse ever sends an IdP, so a single
 * registered URI covers every sign-out. The app's `rd` travels in the logout request's `state`,
 * sealed (it can't be forged or altered) and short-lived; here it is opened and validated again,
 * and the browser goes on to it. Without one (or with one that no longer validates), the page
 * says "You are signed out".
 */
import type { Context } from 'koa'
import { signedOutPage, sendPage } from '../http/pages.js'
import { uiOf } from '../http/respond.js'
import { signInUrl, type Runtime } from '../runtime.js'
import { createSealer } from '../session/seal.js'

export const SIGNED_OUT_PATH = '/oauth2/signed_out'

interface SignOutState {
  rd: string
  /** Epoch seconds. */
  exp: number
}

const sealer = (rt: Runtime) => createSealer(rt.config.cookie.keys, `sign-out-state:${rt.config.cookie.name}`)

/** The absolute signed-out URL: what to register at the IdP as post-logout redirect URI. */
export const signedOutUrl = (rt: Runtime): string => new URL(SIGNED_OUT_PATH, rt.config.server.publicUrl).href

/** The `state` that carries `rd` through the IdP's logout; it lives as long as a login flow may. */
export function sealSignOutState(rt: Runtime, rd: string, now = Date.now()): string {
  return sealer(rt).seal({ rd, exp: Math.floor(now / 1000) + rt.config.cookie.csrfExpireSeconds } satisfies SignOutState)
}

export function openSignOutState(rt: Runtime, state: string | undefined, now = Date.now()): string | undefined {
  if (!state) return undefined
  const opened = sealer(rt).open<SignOutState>(state)
  if (!opened || typeof opened.rd !== 'string' || typeof opened.exp !== 'number' || opened.exp * 1000 < now) return undefined
  return rt.validateRedirect(opened.rd)
}

/** Where sign-out continues when the provider has no end-session endpoint: straight here. */
export function signedOutWithState(rt: Runtime, state: string | undefined): string {
  const url = new URL(SIGNED_OUT_PATH, rt.config.server.publicUrl)
  if (state) url.searchParams.set('state', state)
  return url.href
}

export function signedOutRoute(getRuntime: () => Runtime) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    const rd = openSignOutState(rt, typeof ctx.query.state === 'string' ? ctx.query.state : undefined)
    if (rd) {
      ctx.set('Cache-Control', 'no-store')
      ctx.redirect(rd)
      return
    }
    const ui = uiOf(ctx)
    sendPage(ctx, ui, signedOutPage(ui, signInUrl(rt, undefined)))
  }
}
