/**
 * `gatehouse explain`: which rule a request meets and what Gatehouse would answer, for a given
 * (simulated) user. Uses the same compiled rules and checks as the server, without starting it.
 */
import { allOf, compileQuery, compileRequirement } from './access/authorize.js'
import type { Config } from './config/load.js'
import type { Identity } from './plugin.js'
import { describeRule } from './rules/describe.js'
import { compileRules } from './rules/match.js'
import { normaliseHost, normalisePath } from './rules/normalise.js'

export interface ExplainInput {
  url: string
  method?: string
  /** Absent = an anonymous request. */
  user?: {
    groups?: string[]
    roles?: string[]
    email?: string
    provider?: string
    name?: string
  }
  /** `/oauth2/auth` query constraints, e.g. `allowed_groups=sre`. */
  query?: string
}

export interface Explanation {
  decision: 'allow' | 'deny' | 'login'
  /** Index into `rules:`, -1 for the default. */
  ruleIndex: number
  text: string
}

const SCHEMES: Record<string, string> = { 'http:': 'http:', 'https:': 'https:', 'ws:': 'http:', 'wss:': 'https:' }

export function explain(config: Config, input: ExplainInput): Explanation {
  const url = new URL(input.url)
  const scheme = SCHEMES[url.protocol]
  if (!scheme) throw new Error(`--url must be an absolute http(s) URL, got ${input.url}`)
  url.protocol = scheme
  const method = (input.method ?? 'GET').toUpperCase()
  const ids = [...config.providers.map((p) => p.id), ...config.extraIssuers.map((e) => e.id)]
  if (input.user?.provider !== undefined && !ids.includes(input.user.provider)) {
    throw new Error(`--provider "${input.user.provider}" is not configured; the configured ids are: ${ids.join(', ')}`)
  }
  const rules = compileRules(config.rules, config.providers)
  // The path as written, before URL parsing resolved dots: what the rules read (pathReadings).
  const rawPath = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(input.url)?.[1] || '/'
  const verdict = rules.match({ url, method, rawPath })
  const { path, ambiguous } = normalisePath(url.pathname)
  const { host, port } = normaliseHost(url)

  const identity: Identity | undefined = input.user && {
    subject: input.user.name ?? 'explain',
    user: input.user.name ?? input.user.email ?? 'explain',
    email: input.user.email?.toLowerCase(),
    groups: input.user.groups ?? [],
    roles: input.user.roles ?? [],
    provider: input.user.provider ?? config.providers[0]!.id,
    expiresAt: 0,
  }
  const queryCheck = input.query ? compileQuery(input.query) : undefined
  const queryNoop = compileQuery('')
  const constrained = queryCheck !== undefined && queryCheck !== queryNoop

  let decision: Explanation['decision']
  let why: string
  const action = verdict.action
  if (action.kind === 'deny') {
    decision = 'deny'
    why = '403 Forbidden: the rule denies everyone, signed in or not'
  } else if (action.kind === 'public' && !constrained) {
    decision = 'allow'
    why = '2xx without login; identity headers are sent empty'
  } else if (!identity) {
    decision = 'login'
    why = '401 from /oauth2/auth, 302/303 to sign-in from /oauth2/forward-auth for browser navigations: no session'
  } else {
    // The id was checked above: a provider or an extra issuer has it.
    const p = config.providers.findIndex((x) => x.id === identity.provider)
    const e = config.extraIssuers.findIndex((x) => x.id === identity.provider)
    const source = p >= 0 ? config.providers[p]! : config.extraIssuers[e]!
    const at = p >= 0 ? `providers[${p}]` : `extraIssuers[${e}]`
    const failed: string[] = []
    if (!compileRequirement(config.authorization)(identity)) failed.push('the global authorization settings')
    if (!compileRequirement(source.authorization)(identity)) failed.push(`${at}.authorization (id "${identity.provider}")`)
    if (action.kind === 'require' && !action.check(identity)) failed.push("the rule's require")
    if (queryCheck && !queryCheck(identity)) failed.push('the query constraints')
    if (failed.length > 0) {
      decision = 'deny'
      why = `403 Forbidden: the user does not satisfy ${failed.join(', ')}`
    } else {
      decision = 'allow'
      why = action.kind === 'require' ? 'the user satisfies the requirement' : 'any signed-in user may pass'
    }
  }

  const notes: string[] = []
  if (ambiguous) notes.push('the path holds an ambiguous encoding (%2f, %5c, %00, %23 or invalid): public rules are skipped')
  if (verdict.uncertain && verdict.rule.index === -1 && config.rules.default.kind === 'public') {
    notes.push('the default is public, but not for an ambiguous path: treated as allow: authenticated')
  }
  const who = identity
    ? `provider=${identity.provider} email=${identity.email ?? '-'} groups=${identity.groups.join(',') || '-'} roles=${identity.roles.join(',') || '-'}`
    : 'anonymous (no session)'
  const lines = [
    `request:  ${method} ${url.href}`,
    `matched:  host=${host} port=${port} path=${path}`,
    `user:     ${who}`,
    `rule:     ${describeRule(verdict.rule.def, config.rules.default)}`,
    ...notes.map((n) => `note:     ${n}`),
    `decision: ${decision === 'login' ? 'login required' : decision} (${why})`,
  ]
  return { decision, ruleIndex: verdict.rule.index, text: lines.join('\n') + '\n' }
}
