/**
 * The deny answers shared by the verify endpoints and upstream mode (forward-auth-protocols.md
 * §6.5): 403 for "signed in but not allowed", a login redirect for browser navigations where the
 * caller relays it to the browser, 401 for everything else.
 */
import type { Context } from 'koa'
import type { Deny } from '../access/decide.js'
import { isBrowserNavigation } from '../request/deny-shape.js'
import { signInUrl, type Runtime } from '../runtime.js'
import { sendMessage } from './respond.js'
import { redirectForbidden } from './forbidden-redirect.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface DenyShape {
  /** Send browser navigations 302/303 to sign in (forward-auth, upstream). */
  redirectBrowsers: boolean
  /** Put the sign-in URL in the 401's `Location` (nginx's `/oauth2/auth`, which never redirects). */
  locationOn401: boolean
  /**
   * The status for a refused request (original-request.ts): 403 on nginx's `/oauth2/auth`, which
   * turns anything but 2xx/401/403 into a 500 and would send a 401 to sign-in in a loop; 400 elsewhere.
   */
  refusedStatus: 400 | 403
}

/** `X-Gatehouse-Rule` (server.debugRuleHeader, for tests): the rule that decided. */
export const DEBUG_RULE_HEADER = 'X-Gatehouse-Rule'

export function answerDeny(ctx: Context, rt: Runtime, outcome: Deny, shape: DenyShape): void {
  ctx.set('Cache-Control', 'no-store')
  if (rt.config.server.debugRuleHeader && outcome.rule) ctx.set(DEBUG_RULE_HEADER, outcome.rule)
  if (outcome.result === 'refused') {
    // No login redirect: signing in would not make the request any less ambiguous.
    sendMessage(ctx, shape.refusedStatus, 'REQUEST_REFUSED', 'Request refused', 'This request cannot be checked safely and was refused.')
    return
  }
  if (outcome.result === 'forbidden') {
    if (shape.redirectBrowsers && redirectForbidden(ctx, rt, outcome)) return
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
