/**
 * The deny answers shared by the verify endpoints and upstream mode (forward-auth-protocols.md
 * §6.5): 403 for "signed in but not allowed", a login redirect for browser navigations where the
 * caller relays it to the browser, 401 for everything else. Written through a `Reply`, so the
 * verify fast path (a raw ServerResponse) and Koa (a context) send the very same answer.
 */
import type { Context } from 'koa'
import type { Deny } from '../access/decide.js'
import { isBrowserNavigation } from '../request/deny-shape.js'
import { signInUrl, type Runtime } from '../runtime.js'
import { KOA_REPLY, message, writeMessage, type Reply } from './respond.js'
import { redirectForbidden, SAFE_METHODS } from './forbidden-redirect.js'
import { pageUi } from './pages.js'

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

const REFUSED = message('REQUEST_REFUSED', 'Request refused', 'This request cannot be checked safely and was refused.')
const FORBIDDEN = message('FORBIDDEN', 'Access denied', 'You are signed in but not allowed to access this resource.')
const UNAUTHENTICATED = message('UNAUTHENTICATED', 'Sign-in required', 'Sign in to access this resource.')

export function writeDeny<T>(reply: Reply<T>, to: T, rt: Runtime, outcome: Deny, shape: DenyShape): void {
  reply.set(to, 'Cache-Control', 'no-store')
  const ui = pageUi(rt.config.ui, rt.config.server.publicUrl)
  if (rt.config.server.debugRuleHeader && outcome.rule) reply.set(to, DEBUG_RULE_HEADER, outcome.rule)
  if (outcome.result === 'refused') {
    // No login redirect: signing in would not make the request any less ambiguous.
    writeMessage(reply, to, ui, shape.refusedStatus, REFUSED)
    return
  }
  if (outcome.result === 'forbidden') {
    if (shape.redirectBrowsers && redirectForbidden(reply, to, rt, outcome)) return
    writeMessage(reply, to, ui, 403, FORBIDDEN)
    return
  }
  const url = outcome.original.url
  const login = signInUrl(rt, url ? rt.validateRedirect(url.href) : undefined)
  if (outcome.invalidToken) reply.set(to, 'WWW-Authenticate', 'Bearer error="invalid_token"')
  if (shape.redirectBrowsers && !outcome.invalidToken && isBrowserNavigation(reply.requestHeaders(to))) {
    reply.set(to, 'Location', login)
    reply.send(to, SAFE_METHODS.has(outcome.original.method) ? 302 : 303, 'text', '')
    return
  }
  if (shape.locationOn401) reply.set(to, 'Location', login)
  writeMessage(reply, to, ui, 401, UNAUTHENTICATED)
}

export const answerDeny = (ctx: Context, rt: Runtime, outcome: Deny, shape: DenyShape): void => writeDeny(KOA_REPLY, ctx, rt, outcome, shape)
