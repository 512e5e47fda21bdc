/**
 * Turns the parsed `rules:` / `defaultRule:` into normalised RuleDefs, collecting every problem
 * with its key path (the loader reports them all at once).
 */
import { normalisePath } from './normalise.js'
import type { RawAction, RawClause, RawRule } from './schema.js'
import type { ActionDef, Clause, HostPattern, RuleDef, RulesConfig } from './types.js'

export interface ProviderRef {
  id: string
  type: string
}

const PORT = /^(.+):(\d{1,5})$/

export function parseHostPattern(entry: string): HostPattern | string {
  let s = entry.trim().toLowerCase()
  const wildcard = s.startsWith('*.')
  if (wildcard) s = s.slice(2)
  if (s.includes('*')) return 'a wildcard is only allowed as the whole first label ("*.example.com")'
  if (/[/?#@\s]/.test(s)) return 'must be a host name with an optional port, without scheme or path'
  let port: string | undefined
  const m = PORT.exec(s)
  if (m && (m[1]!.endsWith(']') || !m[1]!.includes(':'))) {
    s = m[1]!
    port = String(Number(m[2]))
    if (Number(port) < 1 || Number(port) > 65535) return 'port out of range'
  }
  let host: string
  try {
    host = new URL(`http://${s}`).hostname
  } catch {
    return 'is not a valid host name'
  }
  if (host.endsWith('.')) host = host.slice(0, -1)
  if (!host || (wildcard && host.startsWith('['))) return 'is not a valid host name'
  return port ? { host, wildcard, port } : { host, wildcard }
}

function parsePath(entry: string): { prefix: string } | { regex: string } | string {
  if (entry.startsWith('^')) {
    if (!entry.endsWith('$') || entry.endsWith('\\$')) return 'a regex must be anchored: start with ^ and end with $'
    try {
      new RegExp(entry)
    } catch (err) {
      return `invalid regex (${(err as Error).message})`
    }
    return { regex: entry }
  }
  if (!entry.startsWith('/')) return 'must start with "/" (a prefix) or "^" (an anchored regex ending in "$")'
  if (/[*$()[\]|\\{}+^]/.test(entry)) return 'looks like a regex: write it anchored, "^…$" (prefixes are literal)'
  const trimmed = entry.length > 1 ? entry.replace(/\/+$/, '') || '/' : entry
  const n = normalisePath(trimmed)
  if (n.ambiguous || n.path !== trimmed || /[?#]/.test(entry)) {
    return `must be a normalised path without query or fragment (did you mean "${n.path}"?)`
  }
  return { prefix: trimmed }
}

const lower = (list: readonly string[] | undefined) => list?.map((v) => v.toLowerCase())

function parseClause(raw: RawClause, at: string, providers: readonly ProviderRef[], problems: string[]): Clause {
  const clause: Clause = {
    ...(raw.groups && { groups: raw.groups }),
    ...(raw.roles && { roles: raw.roles }),
    ...(raw.emails && { emails: lower(raw.emails) }),
    ...(raw.emailDomains && { emailDomains: lower(raw.emailDomains)!.map((d) => d.replace(/^@/, '')) }),
    ...(raw.providers && { providers: raw.providers }),
    ...(raw.githubOrgs && { githubOrgs: lower(raw.githubOrgs) }),
    ...(raw.githubTeams && { githubTeams: lower(raw.githubTeams) }),
  }
  if (Object.keys(clause).length === 0) problems.push(`${at}: needs at least one of groups, roles, emails, emailDomains, providers, githubOrgs, githubTeams`)
  raw.emails?.forEach((e, i) => {
    const at2 = e.indexOf('@')
    if (at2 <= 0 || at2 !== e.lastIndexOf('@') || at2 === e.length - 1) problems.push(`${at}.emails[${i}]: "${e}" is not an email address`)
  })
  raw.providers?.forEach((p, i) => {
    if (!providers.some((q) => q.id === p)) problems.push(`${at}.providers[${i}]: no provider with id "${p}"`)
  })
  raw.githubTeams?.forEach((t, i) => {
    if (!/^[^:\s]+:[^:\s]+$/.test(t)) problems.push(`${at}.githubTeams[${i}]: "${t}" must be written "org:team-slug"`)
  })
  if ((raw.githubOrgs || raw.githubTeams) && !providers.some((p) => p.type === 'github')) {
    problems.push(`${at}: githubOrgs/githubTeams need a provider of type github`)
  }
  return clause
}

function parseAction(raw: RawAction, at: string, providers: readonly ProviderRef[], problems: string[]): ActionDef | undefined {
  const given = (['allow', 'deny', 'require'] as const).filter((k) => raw[k] !== undefined)
  if (given.length !== 1) {
    problems.push(`${at}: needs exactly one action: allow (public|authenticated), deny: true or require`)
    return undefined
  }
  if (raw.allow) return { kind: raw.allow }
  if (raw.deny) return { kind: 'deny' }
  const req = raw.require!
  const { any, all, ...direct } = req
  const hasDirect = Object.values(direct).some((v) => v !== undefined)
  if ([any, all, hasDirect || undefined].filter(Boolean).length !== 1) {
    problems.push(`${at}.require: use either lists directly, or any: [...], or all: [...], not a mix`)
    return undefined
  }
  if (any) return { kind: 'require', mode: 'any', clauses: any.map((c, i) => parseClause(c, `${at}.require.any[${i}]`, providers, problems)) }
  if (all) return { kind: 'require', mode: 'all', clauses: all.map((c, i) => parseClause(c, `${at}.require.all[${i}]`, providers, problems)) }
  return { kind: 'require', mode: 'all', clauses: [parseClause(direct, `${at}.require`, providers, problems)] }
}

function parseRule(raw: RawRule, index: number, providers: readonly ProviderRef[], problems: string[]): RuleDef | undefined {
  const at = `rules[${index}]`
  const before = problems.length
  const hosts: HostPattern[] = []
  raw.hosts?.forEach((h, i) => {
    const p = parseHostPattern(h)
    if (typeof p === 'string') problems.push(`${at}.hosts[${i}]: "${h}" ${p}`)
    else hosts.push(p)
  })
  const prefixes: string[] = []
  const regexes: string[] = []
  raw.paths?.forEach((entry, i) => {
    const p = parsePath(entry)
    if (typeof p === 'string') problems.push(`${at}.paths[${i}]: "${entry}" ${p}`)
    else if ('prefix' in p) prefixes.push(p.prefix)
    else regexes.push(p.regex)
  })
  const methods: string[] = []
  raw.methods?.forEach((m, i) => {
    if (!/^[A-Za-z]{1,20}$/.test(m)) problems.push(`${at}.methods[${i}]: "${m}" is not an HTTP method`)
    else methods.push(m.toUpperCase())
  })
  const { name, hosts: _h, paths: _p, methods: _m, ...action } = raw
  const parsed = parseAction(action, at, providers, problems)
  if (!parsed || problems.length > before) return undefined
  return {
    index,
    ...(name && { name }),
    ...(raw.hosts && { hosts }),
    ...(prefixes.length > 0 && { prefixes }),
    ...(regexes.length > 0 && { regexes }),
    ...(raw.methods && { methods }),
    action: parsed,
  }
}

export function parseRules(
  rawRules: readonly RawRule[],
  rawDefault: RawAction,
  providers: readonly ProviderRef[],
): { rules?: RulesConfig; problems: string[] } {
  const problems: string[] = []
  const list: RuleDef[] = []
  rawRules.forEach((raw, i) => {
    const rule = parseRule(raw, i, providers, problems)
    if (rule) list.push(rule)
  })
  // A rule without matchers ends the list; anything after it is a mistake worth reporting.
  const catchAll = rawRules.findIndex((r) => !r.hosts && !r.paths && !r.methods)
  if (catchAll >= 0 && catchAll < rawRules.length - 1) {
    problems.push(`rules[${catchAll}]: matches every request, so rules[${catchAll + 1}] and later can never match`)
  }
  const def = parseAction(rawDefault, 'defaultRule', providers, problems)
  if (problems.length > 0 || !def) return { problems }
  return { rules: { list, default: def }, problems }
}
