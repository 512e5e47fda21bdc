/**
 * Who may pass and where no login is needed: email domains and lists, groups and roles, skip-auth
 * routes, redirect domains. When the input restricts access in a way the output cannot express, the
 * output keeps a restriction nobody satisfies rather than none at all: never a wrong allow.
 */
import type { MigrateContext } from './context.js'
import { convertRegex } from './regex.js'

type Obj = Record<string, unknown>

/** Satisfied by no real address: stands for an email restriction that could not be migrated. */
export const NOBODY_DOMAIN = 'unmigrated.invalid'

function readEmailsFile(ctx: MigrateContext, path: string): string[] | undefined {
  const text = ctx.readFile(path)
  if (text === undefined) return undefined
  // oauth2-proxy reads it as CSV with `#` comments and takes the first column.
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',')[0]!.trim().toLowerCase())
    .filter(Boolean)
}

function mapEmails(ctx: MigrateContext, authz: Obj): void {
  const domains: string[] = []
  const dropped: string[] = []
  for (const d of ctx.list('email_domains')) {
    if (d === '*' || !/^(\*?\.)/.test(d)) domains.push(d.toLowerCase().replace(/^@/, ''))
    else dropped.push(d)
  }
  const file = ctx.str('authenticated_emails_file')
  const emails = file ? readEmailsFile(ctx, file) : undefined
  if (ctx.has('email_domains')) {
    if (dropped.length) {
      ctx.line('email_domains', 'difference', 'authorization.emailDomains', `${dropped.join(', ')}: subdomain patterns are not supported (Gatehouse compares the exact domain); list each subdomain instead`)
    } else ctx.line('email_domains', 'mapped', 'authorization.emailDomains', domains.includes('*') ? 'any verified email' : 'exact domain of a verified email')
  }
  if (file) {
    if (emails) ctx.line('authenticated_emails_file', 'difference', 'authorization.emails', `the ${emails.length} address(es) of ${file} are copied into the config: edit them there from now on`)
    else ctx.line('authenticated_emails_file', 'unsupported', 'authorization.emails', `${file} could not be read: copy its addresses into authorization.emails`)
  }
  const restricted = !domains.includes('*') && (dropped.length > 0 || (file !== undefined && !emails))
  if (domains.includes('*')) authz.emailDomains = ['*']
  else {
    const kept = [...domains, ...(restricted ? [NOBODY_DOMAIN] : [])]
    if (kept.length) authz.emailDomains = kept
    if (emails?.length) authz.emails = emails
  }
  if (!ctx.has('email_domains') && !file) {
    ctx.remark('--email-domain', 'missing', 'authorization.emailDomains', 'oauth2-proxy refuses to start without email-domain or authenticated-emails-file; the output lets any signed-in user pass')
  }
}

/** Allowed groups and roles; for keycloak they are ORed as in oauth2-proxy (roles are groups "role:x" there). */
function mapGroups(ctx: MigrateContext, authz: Obj, type: string): Obj | undefined {
  const groups = [...ctx.list('allowed_groups'), ...ctx.list('keycloak_groups')]
  const roleGroups = groups.filter((g) => g.startsWith('role:'))
  const plainGroups = groups.filter((g) => !g.startsWith('role:'))
  const roles = [...ctx.list('allowed_roles'), ...(type === 'keycloak' ? roleGroups.map((g) => g.slice(5)) : [])]
  const groupList = type === 'keycloak' ? plainGroups : groups
  if (type === 'github') {
    ctx.line('allowed_groups', 'unsupported', 'providers[0].orgs / teams', 'for github use --github-org / --github-team')
    return undefined
  }
  if (ctx.has('allowed_roles') && type !== 'keycloak') {
    ctx.line('allowed_roles', 'unsupported', 'authorization.roles', 'oauth2-proxy reads roles only with keycloak-oidc; nothing was required')
    roles.length = 0
  }
  if (ctx.has('keycloak_groups')) ctx.line('keycloak_groups', 'mapped', 'authorization.groups')
  if (groupList.length && roles.length) {
    ctx.line('allowed_groups', 'mapped', 'defaultRule.require.any', 'groups OR roles, as in oauth2-proxy; rules for skip-auth paths come first')
    ctx.line('allowed_roles', 'mapped', 'defaultRule.require.any')
    return { require: { any: [{ groups: groupList }, { roles }] } }
  }
  if (groupList.length) {
    authz.groups = groupList
    ctx.line('allowed_groups', 'mapped', 'authorization.groups')
  }
  if (roles.length) {
    authz.roles = roles
    ctx.line('allowed_roles', 'mapped', 'authorization.roles', 'realm roles; client roles as client:role')
    if (roleGroups.length && !ctx.has('allowed_roles')) ctx.line('allowed_groups', 'mapped', 'authorization.roles', 'role:x entries became roles')
  }
  return undefined
}

/** skip-auth-regex, skip-auth-route and skip-auth-preflight as public rules, in oauth2-proxy's order. */
function mapSkipAuth(ctx: MigrateContext): Obj[] {
  const rules: Obj[] = []
  const problems: string[] = []
  const add = (raw: string, method: string | undefined, negate: boolean) => {
    const c = convertRegex(raw, negate)
    if ('problem' in c) {
      problems.push(`"${raw}" ${c.problem}`)
      return
    }
    rules.push({ name: `skip-auth ${method ? `${method} ` : ''}${negate ? '!' : ''}${raw}`, ...(method && { methods: [method] }), paths: [c.regex], allow: 'public' })
  }
  if (ctx.bool('skip_auth_preflight')) {
    rules.push({ name: 'skip-auth-preflight', methods: ['OPTIONS'], allow: 'public' })
    ctx.line('skip_auth_preflight', 'mapped', 'rules: methods [OPTIONS], allow public')
  } else ctx.line('skip_auth_preflight', 'not-needed', undefined, 'off, as by default')
  for (const r of ctx.list('skip_auth_regex')) add(r, undefined, false)
  for (const route of ctx.list('skip_auth_routes')) {
    const m = /!?=/.exec(route)
    if (!m) add(route, undefined, false)
    else add(route.slice(m.index + m[0].length), route.slice(0, m.index).toUpperCase(), m[0] === '!=')
  }
  const note = 'unanchored regexes on the path become ^…$ path regexes; a path with an ambiguous encoding (%2f, %00…) still needs a login'
  for (const key of ['skip_auth_regex', 'skip_auth_routes']) {
    if (ctx.has(key)) ctx.line(key, problems.length ? 'difference' : 'mapped', 'rules (allow: public)', problems.length ? `${note}; NOT migrated (they now need a login): ${problems.join('; ')}` : note)
  }
  return rules
}

function mapRedirect(ctx: MigrateContext, out: Obj): void {
  const domains = ctx.list('whitelist_domains')
  if (!domains.length) return
  out.redirect = { allowedDomains: domains.map((d) => d.toLowerCase()) }
  ctx.line('whitelist_domains', 'mapped', 'redirect.allowedDomains', '.example.com = the domain and its subdomains, host:* = any port, as in oauth2-proxy')
}

export function mapAccess(ctx: MigrateContext, out: Obj, type: string): void {
  const authz: Obj = {}
  mapEmails(ctx, authz)
  const defaultRule = mapGroups(ctx, authz, type)
  out.authorization = authz
  const rules = mapSkipAuth(ctx)
  if (rules.length) out.rules = rules
  if (defaultRule) out.defaultRule = defaultRule
  mapRedirect(ctx, out)
  ctx.line('trusted_ips', 'unsupported', undefined, 'Gatehouse never lets a request in by source address; put an allow-list at the proxy, or use a public rule for the paths those clients need')
  ctx.line('api_routes', 'not-needed', undefined, 'Gatehouse answers 401 (not a redirect) to requests that do not accept text/html')
}
