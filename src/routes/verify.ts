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
import { decide, resultLabel, type Outcome } from '../access/decide.js'
import type { DecisionEndpoint, Metrics } from '../metrics.js'
import type { Runtime } from '../runtime.js'
import { answerDeny } from '../http/deny.js'
import { sendMessage } from '../http/respond.js'

function applyOutcome(ctx: Context, rt: Runtime, endpoint: DecisionEndpoint, outcome: Outcome): void {
  if (outcome.result === 'allow') {
    ctx.status = endpoint === 'auth' ? 202 : 200
    for (const [name, value] of outcome.headers) ctx.set(name, value)
    return
  }
  // nginx turns any 3xx from auth_request into a 500, so /oauth2/auth only ever says 401.
  answerDeny(ctx, rt, outcome, { redirectBrowsers: endpoint === 'forward_auth', locationOn401: endpoint === 'auth' })
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

/** A decision begun by `fastVerify` and finished by the Koa route (decide runs once per request). */
const begun = new WeakMap<IncomingMessage, { rt: Runtime; started: number; pending: Outcome | Promise<Outcome> }>()

const ALLOW_BODY = { auth: 'Accepted', forward_auth: 'OK' } as const

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown

/**
 * Writes an allow exactly as Koa would (status, identity headers, the status message as a
 * text/plain body). False, with nothing sent, when a header value is unacceptable to Node: Koa
 * then answers, through its error handler, as it always did.
 */
function writeAllow(res: ServerResponse, endpoint: 'auth' | 'forward_auth', headers: [string, string][]): boolean {
  try {
    for (const [name, value] of headers) res.setHeader(name, value)
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

/**
 * The hot path without Koa: a GET to either endpoint whose decision is an allow (a cached session
 * or token at once, a first-seen token once verified) is answered here by `writeAllow`. Anything
 * else goes to Koa (`next`) having written nothing, with the begun decision handed to
 * `verifyRoute`, so nothing is decided twice. Returns false when Koa should take the request now.
 * Koa's per-request work (context objects, delegates, compose, respond, content-type lookup) cost
 * more than the decision itself (bench/profile.ts).
 */
export function fastVerify(getRuntime: () => Runtime, metrics: Metrics) {
  return (req: IncomingMessage, res: ServerResponse, next: Handler): boolean => {
    const url = req.url
    if (req.method !== 'GET' || url === undefined || url.charCodeAt(0) !== 47 /* '/' */ || url.includes('#')) return false
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const endpoint: 'auth' | 'forward_auth' | undefined =
      path === '/oauth2/auth' ? 'auth' : path === '/oauth2/forward-auth' ? 'forward_auth' : undefined
    if (endpoint === undefined) return false
    const started = performance.now()
    const rt = getRuntime()
    let pending: Outcome | Promise<Outcome>
    try {
      pending = decide(rt, {
        headers: req.headers,
        peer: req.socket.remoteAddress,
        method: 'GET',
        source: endpoint === 'auth' ? 'original' : 'forwarded',
        selfUrl: undefined,
        querystring: q < 0 ? '' : url.slice(q + 1),
      })
    } catch {
      return false // Koa decides again, and fails closed there
    }
    const toKoa = (decided: Outcome | Promise<Outcome>) => {
      begun.set(req, { rt, started, pending: decided })
      next(req, res)
    }
    const settle = (outcome: Outcome) => {
      if (outcome.result === 'allow' && writeAllow(res, endpoint, outcome.headers)) {
        metrics.decision(endpoint, resultLabel(outcome), outcome.method, (performance.now() - started) / 1000)
      } else toKoa(outcome)
    }
    if (pending instanceof Promise) {
      // a rejection is handed over as it is: verifyRoute fails closed on it
      pending.then(settle, () => toKoa(pending))
      return true
    }
    if (pending.result !== 'allow') {
      begun.set(req, { rt, started, pending })
      return false
    }
    settle(pending)
    return true
  }
}

export function verifyRoute(getRuntime: () => Runtime, metrics: Metrics, logger: Logger, endpoint: 'auth' | 'forward_auth') {
  return async (ctx: Context) => {
    const req = ctx.req
    const early = begun.get(req)
    if (early) begun.delete(req)
    const started = early?.started ?? performance.now()
    const rt = early?.rt ?? getRuntime()
    let outcome: Outcome
    try {
      const pending = early?.pending ?? decide(rt, {
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
