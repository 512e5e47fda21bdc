/**
 * `/oauth2/auth` (nginx auth_request, ingress-nginx auth-url) and `/oauth2/forward-auth`
 * (Traefik ForwardAuth, Caddy forward_auth). The hot path: no body parsing, no per-request
 * allocation beyond the answer, a cached session answers without awaiting.
 * Deny shapes: forward-auth-protocols.md §6.5.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Context } from 'koa'
import type { Logger } from 'pino'
import { accessRequest, decide, type AccessRequest, type Outcome } from '../access/decide.js'
import { countDecision, countFailure } from '../access-log.js'
import type { DecisionEndpoint, Metrics } from '../metrics.js'
import type { Runtime } from '../runtime.js'
import { answerDeny, DEBUG_RULE_HEADER } from '../http/deny.js'
import { sendMessage } from '../http/respond.js'

export type VerifyEndpoint = 'auth' | 'forward_auth'

/** The AccessRequest of a verify call: the same for the fast path and the Koa route. */
const verifyRequest = (req: IncomingMessage, endpoint: VerifyEndpoint, querystring: string): AccessRequest =>
  accessRequest(req, endpoint === 'auth' ? 'nginx' : 'forward-auth', querystring)

function applyOutcome(ctx: Context, rt: Runtime, endpoint: DecisionEndpoint, outcome: Outcome): void {
  if (outcome.result === 'allow') {
    ctx.status = endpoint === 'auth' ? 202 : 200
    for (const [name, value] of outcome.headers) ctx.set(name, value)
    if (rt.config.server.debugRuleHeader && outcome.rule) ctx.set(DEBUG_RULE_HEADER, outcome.rule)
    return
  }
  // nginx turns any 3xx from auth_request into a 500, so /oauth2/auth only ever says 401 or 403.
  answerDeny(ctx, rt, outcome, {
    redirectBrowsers: endpoint === 'forward_auth',
    locationOn401: endpoint === 'auth',
    refusedStatus: endpoint === 'auth' ? 403 : 400,
  })
}

/**
 * A decision that could not be reached (an IdP's keys unreachable) is a deny, never a 5xx: nginx
 * would turn it into a 500, and no proxy may read it as "allow".
 */
function failClosed(ctx: Context, logger: Logger, err: unknown, requestId: string): void {
  logger.warn({ requestId, code: (err as { code?: string }).code, err: { message: (err as Error).message } }, 'decision failed; denying')
  ctx.set('Cache-Control', 'no-store')
  ctx.set('X-Request-Id', requestId)
  sendMessage(ctx, 401, 'DECISION_UNAVAILABLE', 'Sign-in required', 'Your credentials could not be checked right now. Please try again.', requestId)
}

/** A decision begun by `fastPath` and finished by the Koa route (decide runs once per request). */
const begun = new WeakMap<IncomingMessage, { rt: Runtime; started: number; pending: Outcome | Promise<Outcome> }>()

const ALLOW_BODY = { auth: 'Accepted', forward_auth: 'OK' } as const

export type Handler = (req: IncomingMessage, res: ServerResponse) => unknown

/**
 * Writes an allow exactly as Koa would (status, identity headers, the status message as a
 * text/plain body). False, with nothing sent, when a header value is unacceptable to Node: Koa
 * then answers, through its error handler, as it always did.
 */
function writeAllow(res: ServerResponse, rt: Runtime, endpoint: VerifyEndpoint, outcome: Extract<Outcome, { result: 'allow' }>): boolean {
  const headers = outcome.headers
  try {
    for (const [name, value] of headers) res.setHeader(name, value)
    if (rt.config.server.debugRuleHeader && outcome.rule) res.setHeader(DEBUG_RULE_HEADER, outcome.rule)
  } catch {
    for (const [name] of headers) res.removeHeader(name)
    return false
  }
  const body = ALLOW_BODY[endpoint]
  res.statusCode = endpoint === 'auth' ? 202 : 200
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('Content-Length', body.length)
  res.end(body)
  return true
}

/** Which verify endpoint a request target names, by exact path. */
function endpointOf(url: string, q: number): VerifyEndpoint | undefined {
  const path = q < 0 ? url : url.slice(0, q)
  return path === '/oauth2/auth' ? 'auth' : path === '/oauth2/forward-auth' ? 'forward_auth' : undefined
}

/**
 * The hot path, an explicit wrapper around Koa's handler (composed in server.ts): a GET to either
 * verify endpoint whose decision is an allow (a cached session or token at once, a first-seen token
 * once verified) is answered here by `writeAllow`. Anything else goes to `koa` having written
 * nothing, with the begun decision handed to `verifyRoute`, so nothing is decided twice.
 * Koa's per-request work (context objects, delegates, compose, respond, content-type lookup) cost
 * more than the decision itself (bench/profile.ts).
 */
export function fastPath(getRuntime: () => Runtime, metrics: Metrics, koa: Handler): Handler {
  return (req, res) => {
    const url = req.url
    if (req.method !== 'GET' || url === undefined || url.charCodeAt(0) !== 47 /* '/' */ || url.includes('#')) return koa(req, res)
    const q = url.indexOf('?')
    const endpoint = endpointOf(url, q)
    if (endpoint === undefined) return koa(req, res)
    const started = performance.now()
    const rt = getRuntime()
    let pending: Outcome | Promise<Outcome>
    try {
      pending = decide(rt, verifyRequest(req, endpoint, q < 0 ? '' : url.slice(q + 1)))
    } catch {
      return koa(req, res) // Koa decides again, and fails closed there
    }
    const toKoa = (decided: Outcome | Promise<Outcome>) => {
      begun.set(req, { rt, started, pending: decided })
      koa(req, res)
    }
    const settle = (outcome: Outcome) => {
      if (outcome.result === 'allow' && writeAllow(res, rt, endpoint, outcome)) {
        countDecision(metrics, endpoint, outcome, started, req.headers)
      } else toKoa(outcome)
    }
    // a rejection is handed over as it is: verifyRoute fails closed on it
    if (pending instanceof Promise) pending.then(settle, () => toKoa(pending))
    else if (pending.result !== 'allow') toKoa(pending)
    else settle(pending)
  }
}

export function verifyRoute(getRuntime: () => Runtime, metrics: Metrics, logger: Logger, endpoint: VerifyEndpoint) {
  return async (ctx: Context) => {
    const req = ctx.req
    const early = begun.get(req)
    if (early) begun.delete(req)
    const started = early?.started ?? performance.now()
    const rt = early?.rt ?? getRuntime()
    let outcome: Outcome
    try {
      const pending = early?.pending ?? decide(rt, verifyRequest(req, endpoint, ctx.querystring))
      outcome = pending instanceof Promise ? await pending : pending
    } catch (err) {
      const requestId = randomUUID()
      countFailure(metrics, endpoint, started, requestId)
      failClosed(ctx, logger, err, requestId)
      return
    }
    applyOutcome(ctx, rt, endpoint, outcome)
    countDecision(metrics, endpoint, outcome, started, req.headers)
  }
}
