/**
 * Compiles `require:`. Within a clause every list present must hold (AND) and any entry of a
 * list will do (OR); `emails` and `emailDomains` form one email check, as in `authorization:`.
 * `any:` needs one clause, `all:` every clause.
 */
import { allOf, compileRequirement, type Check } from '../access/authorize.js'
import type { Identity } from '../plugin.js'
import type { ActionDef, Clause } from './types.js'

function github(ids: ReadonlySet<string>, wanted: readonly string[], team: boolean): Check {
  const set = new Set(wanted)
  // GitHub groups arrive as `org` and `org:team`; logins and slugs are case-insensitive.
  return (identity: Identity) =>
    ids.has(identity.provider) && identity.groups.some((g) => g.includes(':') === team && set.has(g.toLowerCase()))
}

export function compileClause(clause: Clause, githubProviders: ReadonlySet<string>): Check {
  const checks: Check[] = []
  if (clause.emails || clause.emailDomains) {
    checks.push(compileRequirement({ emails: clause.emails ?? [], emailDomains: clause.emailDomains ?? [] }))
  }
  if (clause.groups) checks.push(compileRequirement({ groups: clause.groups }))
  if (clause.roles) checks.push(compileRequirement({ roles: clause.roles }))
  if (clause.providers) {
    const ids = new Set(clause.providers)
    checks.push((identity) => ids.has(identity.provider))
  }
  if (clause.githubOrgs) checks.push(github(githubProviders, clause.githubOrgs, false))
  if (clause.githubTeams) checks.push(github(githubProviders, clause.githubTeams, true))
  return allOf(checks)
}

export function compileAction(action: Extract<ActionDef, { kind: 'require' }>, githubProviders: ReadonlySet<string>): Check {
  const clauses = action.clauses.map((c) => compileClause(c, githubProviders))
  if (action.mode === 'all') return allOf(clauses)
  return (identity) => clauses.some((c) => c(identity))
}
