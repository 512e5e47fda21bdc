/**
 * `/oauth2/auth` (nginx auth_request, ingress-nginx auth-url) and `/oauth2/forward-auth`
 * (Traefik ForwardAuth, Caddy forward_auth). The hot path: no body parsing, no per-request
 * allocation beyond the answer, a cached session answers without awaiting.
 * Deny shapes: forward-auth-protocols.md §6.5.
 */
import { randomUUID } from 'node:crypto'
import type { Context } from 'koa'
import type { Logger } from 'pino'
import { decide, resultLabel, type Outcome } from '../access/decide.js'
import { isBrowserNavigation } from '../request/deny-shape.js'
import type { DecisionEndpoint, Metrics } from '../metrics.js'
import { signInUrl, type Runtime } from '../runtime.js'
import { sendMessage } from '../http/respond.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function applyOutcome(ctx: Context, rt: Runtime, endpoint: DecisionEndpoint, outcome: Outcome): void {
  if (outcome.result === 'allow') {
    ctx.status = endpoint === 'auth' ? 202 : 200
    for (const [name, value] of outcome.headers) ctx.set(name, value)
    return
  }
  ctx.set('Cache-Control', 'no-store')
  if (outcome.result === 'forbidden') {
    sendMessage(ctx, 403, 'FORBIDDEN', 'Access denied', 'You are signed in but not allowed to access this resource.')
    return
  }
  const url = outcome.original.url
  const login = signInUrl(rt, url ? rt.validateRedirect(url.href) : undefined)
  if (outcome.invalidToken) ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"')
  // nginx turns any 3xx from auth_request into a 500, so /oauth2/auth only ever says 401.
  if (endpoint === 'forward_auth' && !outcome.invalidToken && isBrowserNavigation(ctx.req.headers)) {
    ctx.status = SAFE_METHODS.has(outcome.original.method) ? 302 : 303
    ctx.set('Location', login)
    ctx.body = ''
    return
  }
  if (endpoint === 'auth') ctx.set('Location', login)
  sendMessage(ctx, 401, 'UNAUTHENTICATED', 'Sign-in required', 'Sign in to access this resource.')
}

/**
 * A decision that could not be reached (an IdP's keys unreachable) is a deny, never a 5xx: nginx
 * would turn it into a 500, and no proxy may read it as "allow".
 */
function failClosed(ctx: Context, logger: Logger, err: unknown): void {
  const requestId = randomUUID()
  logger.warn({ requestId, code: (err as { code?: string }).code, err: { message: (err as Error).message } }, 'decision failed; denying')
  ctx.set('Cache-Control', 'no-store')
  ctx.set('X-Request-Id', requestId)
  sendMessage(ctx, 401, 'DECISION_UNAVAILABLE', 'Sign-in required', 'Your credentials could not be checked right now. Please try again.', requestId)
}

export function verifyRoute(getRuntime: () => Runtime, metrics: Metrics, logger: Logger, endpoint: 'auth' | 'forward_auth') {
  return async (ctx: Context) => {
    const started = performance.now()
    const rt = getRuntime()
    const req = ctx.req
    let outcome: Outcome
    try {
      const pending = decide(rt, {
        headers: req.headers,
        peer: req.socket.remoteAddress,
        method: req.method ?? 'GET',
        source: endpoint === 'auth' ? 'original' : 'forwarded',
        selfUrl: undefined,
        querystring: ctx.querystring,
      })
      outcome = pending instanceof Promise ? await pending : pending
    } catch (err) {
      metrics.decision(endpoint, 'error', 'none', (performance.now() - started) / 1000)
      failClosed(ctx, logger, err)
      return
    }
    applyOutcome(ctx, rt, endpoint, outcome)
    metrics.decision(endpoint, resultLabel(outcome), outcome.method, (performance.now() - started) / 1000)
  }
}
