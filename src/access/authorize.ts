/**
 * Allow-list checks. A requirement's non-empty lists must all be satisfied (AND); within a list
 * any entry matches (OR). `emails` and `emailDomains` together form one email check: a listed
 * address or a listed domain satisfies it. Requirements from config, provider and query string
 * are ANDed.
 */
import type { Identity } from '../plugin.js'

export interface Requirement {
  emails: readonly string[]
  emailDomains: readonly string[]
  groups: readonly string[]
  roles: readonly string[]
}

/** A compiled requirement: a predicate over identities. */
export type Check = (identity: Identity) => boolean

const allowAll: Check = () => true

export function compileRequirement(req: Partial<Requirement> | undefined): Check {
  if (!req) return allowAll
  const emails = new Set((req.emails ?? []).map((e) => e.toLowerCase()))
  const domains = new Set((req.emailDomains ?? []).map((d) => d.toLowerCase().replace(/^@/, '')))
  const groups = new Set(req.groups ?? [])
  const roles = new Set(req.roles ?? [])
  const anyDomain = domains.has('*')
  if (!emails.size && !domains.size && !groups.size && !roles.size) return allowAll
  return (identity) => {
    if (emails.size || domains.size) {
      const email = identity.email
      if (!email) return false
      const at = email.indexOf('@')
      // Exactly one `@`, compared on the exact domain part (CVE-2026-40574).
      if (at <= 0 || at !== email.lastIndexOf('@')) return false
      if (!emails.has(email) && !anyDomain && !domains.has(email.slice(at + 1))) return false
    }
    if (groups.size && !identity.groups.some((g) => groups.has(g))) return false
    if (roles.size && !identity.roles.some((r) => roles.has(r))) return false
    return true
  }
}

export function allOf(checks: readonly Check[]): Check {
  const active = checks.filter((c) => c !== allowAll)
  if (active.length === 0) return allowAll
  if (active.length === 1) return active[0]!
  return (identity) => active.every((c) => c(identity))
}

const QUERY_KEYS: Record<string, keyof Requirement> = {
  allowed_groups: 'groups',
  allowed_emails: 'emails',
  allowed_email_domains: 'emailDomains',
  allowed_roles: 'roles',
}

/**
 * Per-request constraints from `/oauth2/auth?allowed_groups=a,b&allowed_emails=…`. Each
 * parameter is its own requirement (ANDed with the others); values within one are ORed.
 * Unknown parameters are ignored; an empty list for a known parameter denies everyone
 * rather than silently allowing.
 */
export function compileQuery(querystring: string): Check {
  const params = new URLSearchParams(querystring)
  const checks: Check[] = []
  for (const [param, key] of Object.entries(QUERY_KEYS)) {
    for (const value of params.getAll(param)) {
      const list = value.split(',').map((v) => v.trim()).filter(Boolean)
      if (list.length === 0) checks.push(() => false)
      else checks.push(compileRequirement({ [key]: list }))
    }
  }
  return allOf(checks)
}
