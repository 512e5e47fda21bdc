/**
 * The access decision shared by `/oauth2/auth`, `/oauth2/forward-auth`, upstream mode and
 * WebSocket upgrades. Framework-free: it takes headers and the peer address, and never reads a
 * body. A cached session answers synchronously.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { DecisionMethod } from '../metrics.js'
import type { Identity } from '../plugin.js'
import { originalRequest, type HeaderSource, type OriginalRequest } from '../request/original-url.js'
import type { Runtime } from '../runtime.js'
import type { ActiveSession } from '../session/session.js'
import { ACCESS_TOKEN_HEADER } from '../headers/identity.js'
import type { Check } from './authorize.js'
import { ruleGate } from '../rules/gate.js'

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
}

export type Outcome =
  | { result: 'allow'; method: DecisionMethod; identity: Identity; headers: [string, string][] }
  | { result: 'unauthenticated'; method: DecisionMethod; invalidToken: boolean; original: OriginalRequest }
  | { result: 'forbidden'; method: DecisionMethod; identity: Identity; original: OriginalRequest }

function original(rt: Runtime, req: AccessRequest): OriginalRequest {
  return originalRequest(req.headers, req.source, rt.isTrustedPeer(req.peer), { method: req.method, url: req.selfUrl }, rt.defaultScheme)
}

function judge(rt: Runtime, req: AccessRequest, active: ActiveSession, ruleCheck: Check | undefined): Outcome {
  const identity = active.session.identity
  const login = rt.loginChecks.get(identity.provider)
  const allowed =
    login !== undefined &&
    login(identity) &&
    (ruleCheck === undefined || ruleCheck(identity)) &&
    (req.querystring === '' || rt.queryChecks(req.querystring)(identity))
  if (!allowed) return { result: 'forbidden', method: 'cookie', identity, original: original(rt, req) }
  let headers = active.headers
  const { passAccessToken, passAuthorization } = rt.config.headers
  if ((passAccessToken || passAuthorization) && active.session.accessToken) {
    headers = [...headers]
    if (passAccessToken) headers.push([ACCESS_TOKEN_HEADER, active.session.accessToken])
    if (passAuthorization) headers.push(['Authorization', `Bearer ${active.session.accessToken}`])
  }
  return { result: 'allow', method: 'cookie', identity, headers }
}

export function decide(rt: Runtime, req: AccessRequest): Outcome | Promise<Outcome> {
  const gate = ruleGate(rt, req.querystring, () => original(rt, req))
  if (gate.outcome) return gate.outcome
  const loaded = rt.sessions.load(req.headers.cookie)
  if (loaded === undefined) return { result: 'unauthenticated', method: 'none', invalidToken: false, original: original(rt, req) }
  if (!(loaded instanceof Promise)) return judge(rt, req, loaded, gate.check)
  return loaded.then((active) =>
    active ? judge(rt, req, active, gate.check) : { result: 'unauthenticated', method: 'none', invalidToken: false, original: original(rt, req) },
  )
}
