/**
 * The deny answers shared by the verify endpoints and upstream mode (forward-auth-protocols.md
 * §6.5): 403 for "signed in but not allowed", a login redirect for browser navigations where the
 * caller relays it to the browser, 401 for everything else.
 */
import type { Context } from 'koa'
import type { Outcome } from '../access/decide.js'
import { isBrowserNavigation } from '../request/deny-shape.js'
import { signInUrl, type Runtime } from '../runtime.js'
import { sendMessage } from './respond.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface DenyShape {
  /** Send browser navigations 302/303 to sign in (forward-auth, upstream). */
  redirectBrowsers: boolean
  /** Put the sign-in URL in the 401's `Location` (nginx's `/oauth2/auth`, which never redirects). */
  locationOn401: boolean
}

export function answerDeny(ctx: Context, rt: Runtime, outcome: Exclude<Outcome, { result: 'allow' }>, shape: DenyShape): void {
  ctx.set('Cache-Control', 'no-store')
  if (outcome.result === 'forbidden') {
    sendMessage(ctx, 403, 'FORBIDDEN', 'Access denied', 'You are signed in but not allowed to access this resource.')
    return
  }
  const url = outcome.original.url
  const login = signInUrl(rt, url ? rt.validateRedirect(url.href) : undefined)
  if (outcome.invalidToken) ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"')
  if (shape.redirectBrowsers && !outcome.invalidToken && isBrowserNavigation(ctx.req.headers)) {
    ctx.status = SAFE_METHODS.has(outcome.original.method) ? 302 : 303
    ctx.set('Location', login)
    ctx.body = ''
    return
  }
  if (shape.locationOn401) ctx.set('Location', login)
  sendMessage(ctx, 401, 'UNAUTHENTICATED', 'Sign-in required', 'Sign in to access this resource.')
}
