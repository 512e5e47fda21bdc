/**
 * oauth2-proxy v7.15's access decision, written from its source (oauthproxy.go getAuthenticatedSession,
 * isAllowedRoute, authOnlyAuthorize; validator.go; providers' Authorize; keycloak_oidc.go roles as
 * `role:` groups) for the options `gatehouse migrate` read. The migrate tests compare Gatehouse's
 * `explain` against it, and the e2e test checks it against the real binary.
 */
import { asBool, asList, asString, type Value } from '../../src/migrate/options.js'

export interface ModelUser {
  email: string
  groups: string[]
  /** Keycloak realm roles and `client:role` client roles. */
  roles: string[]
}

export type Decision = 'allow' | 'deny' | 'login'

type Options = ReadonlyMap<string, { value: Value }>

/** requestutil.GetRequestPath: the decoded path, or undefined when oauth2-proxy refuses to match routes on it. */
export function routablePath(rawPath: string): string | undefined {
  if (!rawPath.startsWith('/') || /[# \t\r\n]/.test(rawPath)) return undefined
  let path: string
  try {
    path = decodeURIComponent(rawPath.replace(/\?.*$/, ''))
  } catch {
    return undefined
  }
  if (/[;\\#?]/.test(path) || path.includes('//')) return undefined
  if ([...path].some((c) => c < ' ' || c === '\x7f')) return undefined
  if (path.split('/').some((s) => s === '.' || s === '..')) return undefined
  return path
}

interface Route {
  method: string
  negate: boolean
  re: RegExp
}

function routes(o: Options): Route[] {
  const out: Route[] = []
  for (const r of asList(o.get('skip_auth_regex')?.value)) out.push({ method: '', negate: false, re: new RegExp(r) })
  for (const r of asList(o.get('skip_auth_routes')?.value)) {
    const m = /!?=/.exec(r)
    if (!m) out.push({ method: '', negate: false, re: new RegExp(r) })
    else out.push({ method: r.slice(0, m.index).toUpperCase(), negate: r.includes('!='), re: new RegExp(r.slice(m.index + m[0].length)) })
  }
  return out
}

function emailValid(o: Options, email: string, emailsFile: string[]): boolean {
  if (email === '') return false
  const e = email.toLowerCase()
  const domains = asList(o.get('email_domains')?.value)
  if (domains.includes('*')) return true
  if ((e.match(/@/g) ?? []).length === 1) {
    const host = e.split('@')[1]!
    for (const d of domains.map((x) => x.toLowerCase())) {
      if (e.endsWith(`@${d}`)) return true
      if (d.startsWith('.') && host.endsWith(d)) return true
      if (d.startsWith('*.') && host.endsWith(d.slice(1))) return true
    }
  }
  return emailsFile.includes(e)
}

/** Groups as the provider puts them in the session; keycloak-oidc adds `role:<role>`. */
function sessionGroups(o: Options, user: ModelUser): string[] {
  const type = asString(o.get('provider')?.value) ?? 'google'
  return type === 'keycloak-oidc' ? [...user.groups, ...user.roles.map((r) => `role:${r}`)] : user.groups
}

function providerAuthorize(o: Options, user: ModelUser): boolean {
  const type = asString(o.get('provider')?.value) ?? 'google'
  const allowed = new Set(asList(o.get('allowed_groups')?.value))
  if (type === 'keycloak-oidc') for (const r of asList(o.get('allowed_roles')?.value)) allowed.add(`role:${r}`)
  if (allowed.size === 0) return true
  return sessionGroups(o, user).some((g) => allowed.has(g))
}

function queryAuthorize(o: Options, user: ModelUser, query: string | undefined): boolean {
  if (!query) return true
  const q = new URLSearchParams(query)
  const groups = q.getAll('allowed_groups').flatMap((v) => v.split(','))
  if (groups.length && !sessionGroups(o, user).some((g) => groups.includes(g))) return false
  const domains = q.getAll('allowed_email_domains').flatMap((v) => v.split(','))
  if (domains.length && !domains.some((d) => user.email.toLowerCase().endsWith(`@${d.toLowerCase()}`))) return false
  const emails = q.getAll('allowed_emails').flatMap((v) => v.split(','))
  if (emails.length && !emails.includes(user.email)) return false
  return true
}

export function oauth2ProxyDecision(
  o: Options,
  req: { method: string; rawPath: string; user?: ModelUser; query?: string },
  emailsFile: string[] = [],
): Decision {
  const path = routablePath(req.rawPath)
  const skip =
    (asBool(o.get('skip_auth_preflight')?.value) === true && req.method === 'OPTIONS') ||
    (path !== undefined && routes(o).some((r) => (r.method === '' || r.method === req.method) && r.re.test(path) !== r.negate))
  if (skip) return !req.user || queryAuthorize(o, req.user, req.query) ? 'allow' : 'deny'
  if (!req.user) return 'login'
  // An empty email passes here in oauth2-proxy (session.Email != "" && ...); the tests' users all have one.
  const invalidEmail = req.user.email !== '' && !emailValid(o, req.user.email, emailsFile)
  if (invalidEmail || !providerAuthorize(o, req.user)) return 'deny'
  return queryAuthorize(o, req.user, req.query) ? 'allow' : 'deny'
}
