/** One-line, human-readable summaries of rules, for `gatehouse explain` and logs. */
import type { ActionDef, Clause, HostPattern, RuleDef } from './types.js'

const host = (h: HostPattern) => `${h.wildcard ? '*.' : ''}${h.host}${h.port ? ':' + h.port : ''}`

function clause(c: Clause): string {
  const parts = Object.entries(c)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${(v as string[]).join('|')}`)
  return parts.join(' AND ')
}

export function describeAction(action: ActionDef): string {
  switch (action.kind) {
    case 'public':
      return 'allow: public'
    case 'authenticated':
      return 'allow: authenticated'
    case 'deny':
      return 'deny'
    case 'require':
      if (action.clauses.length === 1) return `require ${clause(action.clauses[0]!)}`
      return `require ${action.mode} of: ${action.clauses.map((c) => `(${clause(c)})`).join(action.mode === 'any' ? ' OR ' : ' AND ')}`
  }
}

export function describeRule(rule: RuleDef | undefined, fallback: ActionDef): string {
  if (!rule) return `default rule (no rule matched) → ${describeAction(fallback)}`
  const matchers = [
    rule.hosts && `hosts=${rule.hosts.map(host).join(',')}`,
    (rule.prefixes || rule.regexes) && `paths=${[...(rule.prefixes ?? []), ...(rule.regexes ?? [])].join(',')}`,
    rule.methods && `methods=${rule.methods.join(',')}`,
  ].filter(Boolean)
  const name = rule.name ? ` "${rule.name}"` : ''
  return `rules[${rule.index}]${name} ${matchers.join(' ') || '(matches everything)'} → ${describeAction(rule.action)}`
}
