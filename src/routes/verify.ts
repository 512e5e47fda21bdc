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
import { accessRequest, decide, type AccessRequest, type Deny, type Outcome } from '../access/decide.js'
import { countDecision, countFailure } from '../access-log.js'
import type { Metrics } from '../metrics.js'
import type { Runtime } from '../runtime.js'
import { answerDeny, DEBUG_RULE_HEADER, writeDeny, type DenyShape } from '../http/deny.js'
import { KOA_REPLY, message, RAW_REPLY, uiOf, writeMessage } from '../http/respond.js'
import type { HeaderList } from '../headers/mapping.js'

export type VerifyEndpoint = 'auth' | 'forward_auth'

/** The AccessRequest of a verify call: the same for the fast path and the Koa route. */
const verifyRequest = (req: IncomingMessage, endpoint: VerifyEndpoint, querystring: string): AccessRequest =>
  accessRequest(req, endpoint === 'auth' ? 'nginx' : 'forward-auth', querystring)

function applyOutcome(ctx: Context, rt: Runtime, endpoint: VerifyEndpoint, outcome: Outcome): void {
  if (outcome.result === 'allow') {
    ctx.status = endpoint === 'auth' ? 202 : 200
    const h = outcome.headers
    for (let i = 0; i < h.length; i += 2) ctx.set(h[i]!, h[i + 1]!)
    if (rt.config.server.debugRuleHeader && outcome.rule) ctx.set(DEBUG_RULE_HEADER, outcome.rule)
    return
  }
  answerDeny(ctx, rt, outcome, DENY_SHAPES[endpoint])
}

/** nginx turns any 3xx from auth_request into a 500, so /oauth2/auth only ever says 401 or 403. */
const DENY_SHAPES: Record<VerifyEndpoint, DenyShape> = {
  auth: { redirectBrowsers: false, locationOn401: true, refusedStatus: 403 },
  forward_auth: { redirectBrowsers: true, locationOn401: false, refusedStatus: 400 },
}

const DECISION_UNAVAILABLE = message('DECISION_UNAVAILABLE', 'Sign-in required', 'Your credentials could not be checked right now. Please try again.')

/**
 * A decision that could not be reached (an IdP's keys unreachable) is a deny, never a 5xx: nginx
 * would turn it into a 500, and no proxy may read it as "allow".
 */
function failClosed(ctx: Context, logger: Logger, err: unknown, requestId: string): void {
  logger.warn({ requestId, code: (err as { code?: string }).code, err: { message: (err as Error).message } }, 'decision failed; denying')
  ctx.set('Cache-Control', 'no-store')
  ctx.set('X-Request-Id', requestId)
  writeMessage(KOA_REPLY, ctx, uiOf(ctx), 401, DECISION_UNAVAILABLE, requestId)
}

/** A decision begun by `fastPath` and finished by the Koa route (decide runs once per request). */
const begun = new WeakMap<IncomingMessage, { rt: Runtime; started: number; pending: Outcome | Promise<Outcome> }>()

const ALLOW_BODY = { auth: 'Accepted', forward_auth: 'OK' } as const

export type Handler = (req: IncomingMessage, res: ServerResponse) => unknown

const RULE_HEADER_LOWER = DEBUG_RULE_HEADER.toLowerCase()

/** The allow body's headers, after the identity headers. */
const tailOf = (body: string): readonly string[] => ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.length)]
const ALLOW_TAIL: Record<VerifyEndpoint, readonly string[]> = { auth: tailOf(ALLOW_BODY.auth), forward_auth: tailOf(ALLOW_BODY.forward_auth) }

/**
 * The allow's whole header block, flat for `writeHead` (Node's cheapest way to answer: no per-header
 * bookkeeping), as Koa's `ctx.set` calls would leave it. Built per request, not kept per identity:
 * a short-lived array costs less than the ~200 B per cached session a memoised head held.
 * A mapped list's names are unique and never the body's (config check, headers/mapping.ts
 * `mappingProblems`), so it goes in as it is; only the debug rule header may repeat a name, and
 * then replaces the earlier one in its place, as `ctx.set` does.
 */
export function allowHead(headers: HeaderList, endpoint: VerifyEndpoint, rule: string | undefined): string[] {
  const tail = ALLOW_TAIL[endpoint]
  let ruleAt = -1
  if (rule !== undefined) {
    ruleAt = 0
    while (ruleAt < headers.length && headers[ruleAt]!.toLowerCase() !== RULE_HEADER_LOWER) ruleAt += 2
  }
  const n = ruleAt < 0 ? headers.length : Math.max(headers.length, ruleAt + 2)
  const head = new Array<string>(n + tail.length)
  for (let i = 0; i < headers.length; i++) head[i] = headers[i]!
  if (ruleAt >= 0) {
    head[ruleAt] = DEBUG_RULE_HEADER
    head[ruleAt + 1] = rule!
  }
  for (let i = 0; i < tail.length; i++) head[n + i] = tail[i]!
  return head
}

/**
 * Writes an allow exactly as Koa would (status, identity headers, the status message as a
 * text/plain body). False, with nothing sent, when a header value is unacceptable to Node: Koa
 * then answers, through its error handler, as it always did.
 */
function writeAllow(res: ServerResponse, rt: Runtime, endpoint: VerifyEndpoint, outcome: Extract<Outcome, { result: 'allow' }>): boolean {
  const { server } = rt.config
  const head = allowHead(outcome.headers, endpoint, server.debugRuleHeader && outcome.rule ? outcome.rule : undefined)
  try {
    res.writeHead(endpoint === 'auth' ? 202 : 200, head)
  } catch {
    // nothing was sent; undo what writeHead set before it refused a header
    for (let i = 0; i < head.length; i += 2) res.removeHeader(head[i]!)
    res.statusCode = 200
    res.statusMessage = undefined as unknown as string
    return false
  }
  res.end(ALLOW_BODY[endpoint])
  return true
}

/**
 * Writes a deny exactly as the Koa route does (the same `writeDeny`). False, with nothing sent, when
 * a header value is unacceptable to Node: Koa then answers, through its error handler, as it always did.
 */
function writeDenyRaw(res: ServerResponse, rt: Runtime, endpoint: VerifyEndpoint, outcome: Deny): boolean {
  try {
    writeDeny(RAW_REPLY, res, rt, outcome, DENY_SHAPES[endpoint])
    return true
  } catch {
    for (const name of res.getHeaderNames()) res.removeHeader(name)
    res.statusCode = 200
    return false
  }
}

/** Which verify endpoint a request target names, by exact path. */
function endpointOf(url: string, q: number): VerifyEndpoint | undefined {
  const path = q < 0 ? url : url.slice(0, q)
  return path === '/oauth2/auth' ? 'auth' : path === '/oauth2/forward-auth' ? 'forward_auth' : undefined
}

/**
 * The hot path, an explicit wrapper around Koa's handler (composed in server.ts): a GET to either
 * verify endpoint is decided and answered here, allow (`writeAllow`) and deny (`writeDenyRaw`, the
 * Koa route's own `writeDeny`) alike. Koa gets only what the fast path cannot answer: a decision
 * that failed (verifyRoute fails closed) or a header value Node refuses, with the begun decision
 * handed to `verifyRoute`, so nothing is decided twice. Koa's per-request work (context objects,
 * delegates, compose, respond, content-type lookup) cost more than the decision itself (bench/profile.ts).
 */
export function fastPath(getRuntime: () => Runtime, metrics: Metrics, koa: Handler): Handler {
  const answer = (req: IncomingMessage, res: ServerResponse, rt: Runtime, endpoint: VerifyEndpoint, started: number, outcome: Outcome) => {
    if (outcome.result === 'allow' ? writeAllow(res, rt, endpoint, outcome) : writeDenyRaw(res, rt, endpoint, outcome)) {
      countDecision(metrics, endpoint, outcome, started, req.headers)
    } else toKoa(req, res, rt, started, outcome)
  }
  const toKoa = (req: IncomingMessage, res: ServerResponse, rt: Runtime, started: number, pending: Outcome | Promise<Outcome>) => {
    begun.set(req, { rt, started, pending })
    koa(req, res)
  }
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
    // no closure for what is decided at once (a cached credential, most denials)
    if (!(pending instanceof Promise)) return answer(req, res, rt, endpoint, started, pending)
    // a rejection is handed over as it is: verifyRoute fails closed on it
    pending.then(
      (outcome) => answer(req, res, rt, endpoint, started, outcome),
      () => toKoa(req, res, rt, started, pending),
    )
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
    try {
      applyOutcome(ctx, rt, endpoint, outcome)
    } catch (err) {
      // a header value Node refuses (say, a claim with a line break): a deny, never a 5xx nginx would pass on
      for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name)
      const requestId = randomUUID()
      countFailure(metrics, endpoint, started, requestId)
      failClosed(ctx, logger, err, requestId)
      return
    }
    countDecision(metrics, endpoint, outcome, started, req.headers)
  }
}
