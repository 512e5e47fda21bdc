/**
 * The redirect to the forbidden page (routes/forbidden.ts) for a refused browser navigation of a
 * signed-in user, where the deny shape allows redirects (forward-auth, upstream; never nginx).
 */
import { isBrowserNavigation } from '../request/deny-shape.js'
import type { Runtime } from '../runtime.js'
import type { Reply } from './respond.js'

export const FORBIDDEN_PATH = '/oauth2/forbidden'
/** Methods a redirect answers with 302; others get 303 so the browser follows with a GET. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The forbidden page's URL, carrying the URL that was refused (validated again on arrival). */
export function forbiddenUrl(rt: Runtime, rd: string | undefined): string {
  const url = new URL(FORBIDDEN_PATH, rt.config.server.publicUrl)
  if (rd) url.searchParams.set('rd', rd)
  return url.href
}

/**
 * A browser navigation refused for a signed-in user goes to the forbidden page, where the account
 * is named and can be switched. Only for deny shapes that may redirect (never nginx's /oauth2/auth).
 */
export function redirectForbidden<T>(
  reply: Reply<T>,
  to: T,
  rt: Runtime,
  outcome: { method: string; original: { method: string; url?: URL } },
): boolean {
  // Only a session names an account; a `deny` rule or a bearer token keeps its plain 403.
  if (outcome.method !== 'cookie' || !isBrowserNavigation(reply.requestHeaders(to))) return false
  const url = outcome.original.url
  reply.set(to, 'Location', forbiddenUrl(rt, url ? rt.validateRedirect(url.href) : undefined))
  reply.send(to, SAFE_METHODS.has(outcome.original.method) ? 302 : 303, 'text', '')
  return true
}
