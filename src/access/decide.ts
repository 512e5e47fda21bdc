/**
 * The access decision shared by `/oauth2/auth`, `/oauth2/forward-auth`, upstream mode and
 * WebSocket upgrades. Framework-free: it takes headers and the peer address, and never reads a
 * body. A cached session or bearer token answers synchronously. An `Authorization: Bearer`
 * header, when any provider or extra issuer accepts bearer tokens, is judged instead of the cookie.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { DecisionMethod, DecisionResult } from '../metrics.js'
import type { Identity } from '../plugin.js'
import { originalRequest, type HeaderSource, type OriginalRequest } from '../request/original-url.js'
import type { Runtime } from '../runtime.js'
import type { ActiveSession } from '../session/session.js'
import { ACCESS_TOKEN_HEADER } from '../headers/identity.js'
import type { Check } from './authorize.js'
import { ANONYMOUS, ruleGate, type Gate } from '../rules/gate.js'
import type { BearerVerdict } from '../tokens/bearer.js'

export interface AccessRequest {
  headers: IncomingHttpHeaders
  peer: string | undefined
  /** Which forwarded headers describe the original request (per endpoint). */
  source: HeaderSource
  /** The request's own method and URL (used when forwarded headers are absent or untrusted). */
  method: string
  selfUrl: URL | undefined
  /** Constraints from the query string (`/oauth2/auth?allowed_groups=…`), '' for none. */
  querystring: string
  /** Identify the caller without applying `rules:` (`/oauth2/userinfo` describes, it doesn't guard). */
  skipRules?: boolean
}

export type Outcome =
  | { result: 'allow'; method: DecisionMethod; identity: Identity; headers: [string, string][] }
  | { result: 'unauthenticated'; method: DecisionMethod; invalidToken: boolean; original: OriginalRequest }
  | { result: 'forbidden'; method: DecisionMethod; identity: Identity; original: OriginalRequest }

function original(rt: Runtime, req: AccessRequest): OriginalRequest {
  return originalRequest(req.headers, req.source, rt.isTrustedPeer(req.peer), { method: req.method, url: req.selfUrl }, rt.defaultScheme, rt.config.server.trustForwardedPrefix)
}

/** Authorization shared by every credential: provider login checks, rule `require`, query constraints. */
function judge(
  rt: Runtime,
  req: AccessRequest,
  method: DecisionMethod,
  identity: Identity,
  identityHeaders: [string, string][],
  accessToken: string | undefined,
  ruleCheck: Check | undefined,
): Outcome {
  const login = rt.loginChecks.get(identity.provider)
  const allowed =
    login !== undefined &&
    login(identity) &&
    (ruleCheck === undefined || ruleCheck(identity)) &&
    (req.querystring === '' || rt.queryChecks(req.querystring)(identity))
  if (!allowed) return { result: 'forbidden', method, identity, original: original(rt, req) }
  let headers = identityHeaders
  const { passAccessToken, passAuthorization } = rt.config.headers
  if ((passAccessToken || passAuthorization) && accessToken) {
    headers = [...headers]
    if (passAccessToken) headers.push([ACCESS_TOKEN_HEADER, accessToken])
    if (passAuthorization) headers.push(['Authorization', `Bearer ${accessToken}`])
  }
  return { result: 'allow', method, identity, headers }
}

const judgeSession = (rt: Runtime, req: AccessRequest, active: ActiveSession, ruleCheck: Check | undefined): Outcome =>
  judge(rt, req, 'cookie', active.session.identity, active.headers, active.session.accessToken, ruleCheck)

/** The token of an `Authorization: Bearer …` header, or undefined. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined
  return header.slice(7).trim()
}

function judgeBearer(rt: Runtime, req: AccessRequest, verdict: BearerVerdict, token: string, ruleCheck: Check | undefined): Outcome {
  if (verdict === 'invalid') return { result: 'unauthenticated', method: 'bearer', invalidToken: true, original: original(rt, req) }
  if (verdict === 'forbidden') return { result: 'forbidden', method: 'bearer', identity: ANONYMOUS, original: original(rt, req) }
  return judge(rt, req, 'bearer', verdict.identity, verdict.headers, token, ruleCheck)
}

const NO_RULES: Gate = {}

/** The metrics label for an outcome: an invalid bearer token is told apart from a missing login. */
export const resultLabel = (outcome: Outcome): DecisionResult =>
  outcome.result === 'unauthenticated' && outcome.invalidToken ? 'invalid_token' : outcome.result

export function decide(rt: Runtime, req: AccessRequest): Outcome | Promise<Outcome> {
  const gate = req.skipRules ? NO_RULES : ruleGate(rt, req.querystring, () => original(rt, req))
  if (gate.outcome) return gate.outcome
  const token = rt.bearer.active ? bearerToken(req.headers.authorization) : undefined
  if (token !== undefined) {
    if (token === '') return judgeBearer(rt, req, 'invalid', token, gate.check)
    const checked = rt.bearer.check(token)
    if (!(checked instanceof Promise)) return judgeBearer(rt, req, checked, token, gate.check)
    return checked.then((verdict) => judgeBearer(rt, req, verdict, token, gate.check))
  }
  const loaded = rt.sessions.load(req.headers.cookie)
  if (loaded === undefined) return { result: 'unauthenticated', method: 'none', invalidToken: false, original: original(rt, req) }
  if (!(loaded instanceof Promise)) return judgeSession(rt, req, loaded, gate.check)
  return loaded.then((active) =>
    active ? judgeSession(rt, req, active, gate.check) : { result: 'unauthenticated', method: 'none', invalidToken: false, original: original(rt, req) },
  )
}
