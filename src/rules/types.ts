/** Validated, normalised rules as they sit in the frozen Config (plain data, no compiled state). */

export interface HostPattern {
  /** Lower-case, punycode, no trailing dot; for wildcards the part after `*.`. */
  host: string
  wildcard: boolean
  /** Only set when the rule names a port. */
  port?: string
}

export interface Clause {
  groups?: readonly string[]
  roles?: readonly string[]
  emails?: readonly string[]
  emailDomains?: readonly string[]
  providers?: readonly string[]
  githubOrgs?: readonly string[]
  githubTeams?: readonly string[]
}

export type ActionDef =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'deny' }
  | { kind: 'require'; mode: 'all' | 'any'; clauses: readonly Clause[] }

export interface RuleDef {
  /** Position in `rules:` (0-based). */
  index: number
  name?: string
  hosts?: readonly HostPattern[]
  /** Normalised, without a trailing slash (`/` stays `/`). */
  prefixes?: readonly string[]
  /** Regex sources, each `^…$`. */
  regexes?: readonly string[]
  /** Upper-case. */
  methods?: readonly string[]
  action: ActionDef
}

export interface RulesConfig {
  list: readonly RuleDef[]
  default: ActionDef
}
