/**
 * The access decision shared by `/oauth2/auth`, `/oauth2/forward-auth`, upstream mode and
 * WebSocket upgrades. Framework-free: it takes headers and the peer address, and never reads a
 * body. A cached session or bearer token answers synchronously. An `Authorization: Bearer`
 * header, when any provider or extra issuer accepts bearer tokens, is judged instead of the cookie.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { DecisionMethod, DecisionResult } from '../metrics.js'
import type { Identity } from '../plugin.js'
import { type OriginalRequest, type Protocol, type ReadContext, type RefusalCode } from '../request/original-request.js'
import { identityCheckFor } from '../headers/strip.js'
import { headerMapping, type HeaderList } from '../headers/mapping.js'
import { signerFor, withAssertion } from '../assertion/sign.js'
import type { Runtime } from '../runtime.js'
import type { ActiveSession } from '../session/session.js'
import { ANONYMOUS, ruleGate, type Gate } from '../rules/gate.js'
import { createReadMemo, readAndGate, type Read, type ReadMemo } from './read-memo.js'
import type { BearerVerdict } from '../tokens/bearer.js'

export interface AccessRequest {
  headers: IncomingHttpHeaders
  peer: string | undefined
  /** How the original request reaches Gatehouse (per endpoint): src/request/original-request.ts. */
  protocol: Protocol
  /** The request's own method and target (`req.url`). */
  method: string
  target: string
  /** Constraints from the query string (`/oauth2/auth?allowed_groups=…`), '' for none. */
  querystring: string
  /** Identify the caller without applying `rules:` (`/oauth2/userinfo` describes, it doesn't guard). */
  skipRules?: boolean
}

/** The one way every caller (fast path, Koa verify route, upstream mode, userinfo) builds an AccessRequest. */
export function accessRequest(req: IncomingMessage, protocol: Protocol, querystring = ''): AccessRequest {
  return {
    headers: req.headers,
    peer: req.socket.remoteAddress,
    protocol,
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    querystring,
    skipRules: protocol === 'none',
  }
}

/** `rule`: the label of the rule that decided (for `server.debugRuleHeader`). */
export type Outcome =
  | { result: 'allow'; method: DecisionMethod; identity: Identity; headers: HeaderList; rule?: string }
  | { result: 'unauthenticated'; method: DecisionMethod; invalidToken: boolean; original: OriginalRequest; rule?: string }
  | { result: 'forbidden'; method: DecisionMethod; identity: Identity; original: OriginalRequest; rule?: string }
  /** The request itself was refused: which request it is could not be known (original-request.ts). */
  | { result: 'refused'; method: 'none'; code: RefusalCode; rule?: string }

export type Deny = Exclude<Outcome, { result: 'allow' }>

/** Per runtime, the read context for untrusted and trusted peers (built once, not per request). */
const contexts = new WeakMap<Runtime, readonly [ReadContext, ReadContext]>()

function readContext(rt: Runtime, trusted: boolean): ReadContext {
  let pair = contexts.get(rt)
  // Stryker disable next-line ConditionalExpression: the memo only; a rebuilt pair reads the same
  if (!pair) {
    const { server, headers } = rt.config
    const base = {
      publicUrl: server.publicUrl,
      fallbackScheme: rt.defaultScheme,
      usePrefix: server.trustForwardedPrefix,
      isIdentityHeader: identityCheckFor(headers),
    }
    pair = [Object.freeze({ ...base, trusted: false }), Object.freeze({ ...base, trusted: true })]
    contexts.set(rt, pair)
  }
  return pair[trusted ? 1 : 0]
}

/** Per runtime, the memoised read + rule gate (access/read-memo.ts). */
const memos = new WeakMap<Runtime, ReadMemo>()
const noRules = () => NO_RULES

function readAndGated(rt: Runtime, req: AccessRequest): Read {
  const ctx = readContext(rt, rt.isTrustedPeer(req.peer))
  if (req.skipRules) return readAndGate(req.protocol, req, ctx, req.querystring, noRules)
  let memo = memos.get(rt)
  if (memo === undefined) memos.set(rt, (memo = createReadMemo((querystring, request) => ruleGate(rt, querystring, request))))
  return memo(req.protocol, req, ctx, req.querystring)
}

/** Authorization shared by every credential: provider login checks, rule `require`, query constraints. */
function judge(
  rt: Runtime,
  req: AccessRequest,
  request: OriginalRequest,
  method: DecisionMethod,
  identity: Identity,
  accessToken: string | undefined,
  gate: Gate,
): Outcome | Promise<Outcome> {
  const ruleCheck = gate.check
  const login = rt.loginChecks.get(identity.provider)
  const allowed =
    login !== undefined &&
    login(identity) &&
    (ruleCheck === undefined || ruleCheck(identity)) &&
    // Stryker disable next-line ConditionalExpression,StringLiteral: a fast path; queryChecks('') allows everyone too
    (req.querystring === '' || rt.queryChecks(req.querystring)(identity))
  if (!allowed) return { result: 'forbidden', method, identity, original: request, rule: gate.rule }
  return allowWithHeaders(rt, request, method, identity, accessToken, gate.rule)
}

/**
 * The allow and its headers (headers/mapping.ts), plus the signed assertion when it is on. A value
 * that cannot be sent safely is a 403: a deny rather than a broken or injected header.
 */
function allowWithHeaders(
  rt: Runtime,
  request: OriginalRequest,
  method: DecisionMethod,
  identity: Identity,
  accessToken: string | undefined,
  rule: string | undefined,
): Outcome | Promise<Outcome> {
  const mapping = headerMapping(rt.config.headers)
  const mapped = mapping.identity(identity)
  const headers = mapped && mapping.withToken(mapped, accessToken)
  if (!headers) return { result: 'forbidden', method, identity, original: request, rule }
  const signer = signerFor(rt.config)
  // No audience without a known host: no assertion, and an app that requires one refuses.
  if (!signer || !request.url || method === 'anonymous') return { result: 'allow', method, identity, headers, rule }
  const jwt = signer.assertion(identity, request.url.host)
  const allow = (token: string): Outcome => ({ result: 'allow', method, identity, headers: withAssertion(headers, signer.header, token), rule })
  return typeof jwt === 'string' ? allow(jwt) : jwt.then(allow)
}

const judgeSession = (rt: Runtime, req: AccessRequest, request: OriginalRequest, active: ActiveSession, gate: Gate) =>
  judge(rt, req, request, 'cookie', active.session.identity, active.session.accessToken, gate)

/** The token of an `Authorization: Bearer …` header, or undefined. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined
  return header.slice(7).trim()
}

function judgeBearer(rt: Runtime, req: AccessRequest, request: OriginalRequest, verdict: BearerVerdict, token: string, gate: Gate): Outcome | Promise<Outcome> {
  if (verdict === 'invalid') return { result: 'unauthenticated', method: 'bearer', invalidToken: true, original: request, rule: gate.rule }
  if (verdict === 'forbidden') return { result: 'forbidden', method: 'bearer', identity: ANONYMOUS, original: request, rule: gate.rule }
  return judge(rt, req, request, 'bearer', verdict.identity, token, gate)
}

const NO_RULES: Gate = Object.freeze({ rule: 'default' })

const REFUSED = new Map<RefusalCode, Outcome>()
const refused = (code: RefusalCode): Outcome => {
  let outcome = REFUSED.get(code)
  // Stryker disable next-line ConditionalExpression: the memo only; a fresh refusal is equal to the cached one
  if (!outcome) REFUSED.set(code, (outcome = Object.freeze({ result: 'refused', method: 'none', code, rule: `refused:${code}` })))
  return outcome
}

/** The metrics label for an outcome: an invalid bearer token is told apart from a missing login. */
export const resultLabel = (outcome: Outcome): DecisionResult =>
  // Stryker disable next-line ConditionalExpression: only unauthenticated outcomes carry invalidToken
  outcome.result === 'unauthenticated' && outcome.invalidToken ? 'invalid_token' : outcome.result

const unauthenticated = (request: OriginalRequest, gate: Gate): Outcome => ({
  result: 'unauthenticated',
  method: 'none',
  invalidToken: false,
  original: request,
  rule: gate.rule,
})

export function decide(rt: Runtime, req: AccessRequest): Outcome | Promise<Outcome> {
  // Read first, for every request: a refusal must not depend on which credential came along.
  const read = readAndGated(rt, req)
  if ('refused' in read) return refused(read.refused)
  const { request, gate } = read
  if (gate.outcome) return gate.outcome.result === 'allow' ? allowWithHeaders(rt, request, 'anonymous', ANONYMOUS, undefined, gate.rule) : gate.outcome
  const token = rt.bearer.active ? bearerToken(req.headers.authorization) : undefined
  if (token !== undefined) {
    if (token === '') return judgeBearer(rt, req, request, 'invalid', token, gate)
    const checked = rt.bearer.check(token)
    if (!(checked instanceof Promise)) return judgeBearer(rt, req, request, checked, token, gate)
    return checked.then((verdict) => judgeBearer(rt, req, request, verdict, token, gate))
  }
  const loaded = rt.sessions.load(req.headers.cookie)
  if (loaded === undefined) return unauthenticated(request, gate)
  if (!(loaded instanceof Promise)) return judgeSession(rt, req, request, loaded, gate)
  return loaded.then((active) => (active ? judgeSession(rt, req, request, active, gate) : unauthenticated(request, gate)))
}
