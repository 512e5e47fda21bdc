/**
 * Where the rules meet the access decision. Runs before any credential is read: `deny` and
 * `public` need none. `require` hands back a check that every identity (cookie or bearer) must
 * pass in addition to the configured authorization and the query constraints (AND).
 */
import { compileQuery, type Check } from '../access/authorize.js'
import type { Outcome } from '../access/decide.js'
import { identityHeaderValues } from '../headers/identity.js'
import type { Identity } from '../plugin.js'
import type { OriginalRequest } from '../request/original-request.js'
import type { Runtime } from '../runtime.js'

/** Stands in for "nobody": public answers carry its (empty) identity headers. */
export const ANONYMOUS: Identity = Object.freeze({ subject: '', user: '', groups: [], roles: [], provider: '', expiresAt: 0 })
const ANONYMOUS_HEADERS = identityHeaderValues(ANONYMOUS).flat()

// compileQuery returns this very function when a query string holds no constraint.
const NO_QUERY_CONSTRAINTS = compileQuery('')

export interface Gate {
  /** A final answer reached without credentials. */
  outcome?: Outcome
  /** An extra requirement on the identity. */
  check?: Check
  /** The matched rule's label (CompiledRule.label). */
  rule: string
}

const OPEN: Gate = Object.freeze({ rule: 'default' })

export function hasQueryConstraints(rt: Runtime, querystring: string): boolean {
  return querystring !== '' && rt.queryChecks(querystring) !== NO_QUERY_CONSTRAINTS
}

export function ruleGate(rt: Runtime, querystring: string, request: OriginalRequest): Gate {
  if (rt.rules.trivial) return OPEN
  const verdict = rt.rules.match(request)
  const rule = verdict.rule.label
  switch (verdict.action.kind) {
    case 'deny':
      return { outcome: { result: 'forbidden', method: 'none', identity: ANONYMOUS, original: request, rule }, rule }
    case 'public':
      // Query constraints AND public = the constraints alone, which need a signed-in user.
      if (hasQueryConstraints(rt, querystring)) return { rule }
      return { outcome: { result: 'allow', method: 'anonymous', identity: ANONYMOUS, headers: ANONYMOUS_HEADERS, rule }, rule }
    case 'require':
      return { check: verdict.action.check, rule }
    default:
      return { rule }
  }
}
