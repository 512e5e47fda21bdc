/** The login provider: type, client, issuer, claims, bearer tokens, GitHub and Google specifics, extra issuers. */
import type { MigrateContext } from './context.js'

type Obj = Record<string, unknown>

const isHttp = (url: string | undefined) => !!url && /^http:/i.test(url)
const origin = (url: string) => {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/** oauth2-proxy providers that are plain OIDC underneath when given an issuer. */
const OIDC_LIKE = new Set(['azure', 'entra-id', 'ms-entra-id', 'gitlab', 'adfs', 'login.gov', 'nextcloud', 'digitalocean', 'bitbucket', 'linkedin', 'facebook', 'keycloak'])

function providerType(ctx: MigrateContext, p: Obj): string {
  // oauth2-proxy's default provider is google.
  const type = (ctx.str('provider') ?? 'google').toLowerCase()
  const issuer = ctx.str('oidc_issuer_url')
  const given = ctx.has('provider')
  if (type === 'oidc') {
    ctx.line('provider', 'mapped', 'providers[0].type: oidc')
    return 'oidc'
  }
  if (type === 'keycloak-oidc') {
    if (issuer && /\/realms\/[^/]+\/?$/.test(new URL(issuer, 'http://x').pathname)) {
      ctx.line('provider', 'mapped', 'providers[0].type: keycloak', 'realm roles and `client:role` client roles, groups from the groups claim')
      return 'keycloak'
    }
    ctx.line('provider', 'difference', 'providers[0].type: oidc', 'the issuer is not a /realms/<name> URL, so the generic OIDC provider is used: roles are not read')
    return 'oidc'
  }
  if (type === 'google' || type === 'github') {
    if (given) ctx.line('provider', 'mapped', `providers[0].type: ${type}`)
    else ctx.remark('--provider', 'mapped', 'providers[0].type: google', "not set: oauth2-proxy's default, google")
    return type
  }
  if (issuer && OIDC_LIKE.has(type)) {
    ctx.line('provider', 'difference', 'providers[0].type: oidc', `"${type}" as plain OIDC on its issuer: ${type}-specific lookups (groups from APIs, profile URLs) are not done; groups come from the ID token claim`)
    return 'oidc'
  }
  ctx.line('provider', 'unsupported', 'providers[0].type: oidc', `no Gatehouse provider for "${type}": if it speaks OpenID Connect, set GATEHOUSE_OIDC_ISSUER to its issuer; otherwise write a provider plugin (providers/README.md)`)
  p.issuer = ctx.secret('GATEHOUSE_OIDC_ISSUER', `issuer of the "${type}" provider (not an OIDC provider in oauth2-proxy)`)
  return 'oidc'
}

function mapOidc(ctx: MigrateContext, p: Obj, type: string): void {
  const issuer = ctx.str('oidc_issuer_url')
  if (issuer) {
    p.issuer = issuer
    ctx.line('oidc_issuer_url', 'mapped', 'providers[0].issuer')
    if (isHttp(issuer)) {
      p.allowInsecureRequests = true
      ctx.remark('--oidc-issuer-url (http)', 'difference', 'providers[0].allowInsecureRequests: true', 'Gatehouse refuses a plain-http issuer unless told; use https outside local tests')
    }
  } else if (type !== 'google' && p.issuer === undefined) {
    p.issuer = ctx.secret('GATEHOUSE_OIDC_ISSUER', 'the OIDC issuer URL (--oidc-issuer-url was not set)')
    ctx.remark('--oidc-issuer-url', 'missing', 'providers[0].issuer', 'not in the input: set GATEHOUSE_OIDC_ISSUER')
  }
  const claims: [string, string][] = [
    ['oidc_email_claim', 'emailClaim'],
    ['user_id_claim', 'emailClaim'],
    ['oidc_groups_claim', 'groupsClaim'],
  ]
  for (const [key, target] of claims) {
    const v = ctx.str(key)
    if (v === undefined) continue
    if (type === 'keycloak' && target === 'groupsClaim') {
      ctx.line(key, 'not-needed', undefined, 'the keycloak provider reads groups itself')
      continue
    }
    p[target] = v
    ctx.line(key, 'mapped', `providers[0].${target}`)
  }
  const scope = ctx.str('scope')
  if (scope) {
    p.scopes = scope.split(/[\s,]+/).filter(Boolean)
    ctx.line('scope', 'mapped', 'providers[0].scopes')
  }
  if (ctx.bool('insecure_oidc_allow_unverified_email')) {
    ctx.line('insecure_oidc_allow_unverified_email', 'unsupported', undefined, 'Gatehouse never lets an email with email_verified=false pass an email check; verify the addresses at the IdP')
  } else ctx.line('insecure_oidc_allow_unverified_email', 'not-needed', undefined, 'the default: unverified emails do not count')
  const auth: Record<string, string> = {}
  for (const key of ['prompt', 'acr_values'] as const) {
    const v = ctx.str(key)
    if (v) {
      auth[key] = v
      ctx.line(key, 'mapped', `providers[0].extraAuthParams.${key}`)
    }
  }
  const approval = ctx.str('approval_prompt')
  if (approval && approval !== 'force' && !auth.prompt) {
    auth.prompt = approval
    ctx.line('approval_prompt', 'mapped', 'providers[0].extraAuthParams.prompt')
  } else ctx.line('approval_prompt', 'not-needed', undefined, 'deprecated in oauth2-proxy; Gatehouse sends no prompt unless extraAuthParams has one')
  if (Object.keys(auth).length) p.extraAuthParams = auth
  mapBearer(ctx, p, type)
}

function mapBearer(ctx: MigrateContext, p: Obj, type: string): void {
  const on = ctx.bool('skip_jwt_bearer_tokens') ?? false
  const extra = ctx.list('oidc_extra_audiences')
  const claims = ctx.list('oidc_audience_claims')
  if (!on) {
    // Gatehouse accepts bearer JWTs by default for keycloak and oidc; oauth2-proxy does not.
    p.bearer = { enabled: false }
    if (ctx.has('skip_jwt_bearer_tokens')) ctx.line('skip_jwt_bearer_tokens', 'mapped', 'providers[0].bearer.enabled: false')
    else if (type !== 'google') ctx.remark('--skip-jwt-bearer-tokens', 'mapped', 'providers[0].bearer.enabled: false', 'not set: bearer JWTs stay refused, as in oauth2-proxy (Gatehouse would accept them by default)')
    if (extra.length) ctx.line('oidc_extra_audiences', 'not-needed', undefined, 'bearer tokens are off')
    return
  }
  const clientId = ctx.str('client_id')
  const audiences = [...(clientId ? [clientId] : []), ...extra]
  const bearer: Obj = { enabled: true, acceptAzp: claims.includes('azp') }
  if (audiences.length) bearer.audiences = audiences
  p.bearer = bearer
  ctx.line(
    'skip_jwt_bearer_tokens',
    type === 'keycloak' ? 'difference' : 'mapped',
    'providers[0].bearer',
    type === 'keycloak'
      ? 'tokens must be Keycloak access tokens (typ "Bearer"): oauth2-proxy also took ID tokens; set bearer.typ: null to accept them'
      : 'signature, issuer, expiry and audience are checked as oauth2-proxy does',
  )
  if (extra.length) ctx.line('oidc_extra_audiences', 'mapped', 'providers[0].bearer.audiences')
  if (claims.length) {
    const unknown = claims.filter((c) => c !== 'aud' && c !== 'azp')
    ctx.line('oidc_audience_claims', unknown.length ? 'difference' : 'mapped', 'providers[0].bearer.acceptAzp', unknown.length ? `only aud and azp are read; not ${unknown.join(', ')}` : undefined)
  }
}

function mapGithub(ctx: MigrateContext, p: Obj): void {
  const org = ctx.str('github_org')
  const teams = ctx.list('github_team')
  if (org && teams.length) {
    p.teams = teams.map((t) => (t.includes('/') || t.includes(':') ? t.replace(':', '/') : `${org}/${t}`))
    ctx.line('github_org', 'mapped', 'providers[0].teams', 'with --github-team, membership of one of the teams is required (the org alone is not enough), as in oauth2-proxy')
    ctx.line('github_team', 'mapped', 'providers[0].teams')
  } else if (org) {
    p.orgs = [org]
    ctx.line('github_org', 'mapped', 'providers[0].orgs')
  } else if (teams.length) {
    p.teams = teams.map((t) => t.replace(':', '/'))
    ctx.line('github_team', teams.every((t) => /[/:]/.test(t)) ? 'mapped' : 'unsupported', 'providers[0].teams', 'write teams as org/team-slug')
  }
  const users = ctx.list('github_users')
  if (users.length) {
    p.users = users
    ctx.line('github_users', 'mapped', 'providers[0].users')
  }
  ctx.line('github_repo', 'unsupported', undefined, 'repository collaborators are not checked; use a team with access to the repository (--github-team)')
  ctx.line('github_token', 'unsupported', undefined, 'not needed without --github-repo')
  const scope = ctx.str('scope')
  if (scope) {
    p.scopes = scope.split(/[\s,]+/).filter(Boolean)
    ctx.line('scope', 'mapped', 'providers[0].scopes')
  }
  const login = ctx.str('login_url')
  const validate = ctx.str('validate_url')
  if (login) {
    const base = origin(login)
    if (base && validate && /\/api\/v3\b/.test(validate)) {
      p.baseUrl = base
      p.apiUrl = validate.replace(/(\/api\/v3).*$/, '$1')
      if (isHttp(base)) p.allowInsecureRequests = true
      ctx.line('login_url', 'mapped', 'providers[0].baseUrl', 'GitHub Enterprise Server')
      ctx.line('validate_url', 'mapped', 'providers[0].apiUrl')
    }
  }
}

/** Gitea/Forgejo configured as oauth2-proxy's github provider with login/redeem/validate URLs: they speak OIDC. */
function giteaAsOidc(ctx: MigrateContext, p: Obj): boolean {
  const login = ctx.str('login_url')
  const validate = ctx.str('validate_url')
  if (!login || (validate && /\/api\/v3\b/.test(validate))) return false
  const base = origin(login)
  if (!base) return false
  p.type = 'oidc'
  p.issuer = `${base}/`
  if (isHttp(base)) p.allowInsecureRequests = true
  ctx.line('provider', 'difference', 'providers[0].type: oidc', `github with login/redeem/validate URLs on ${base} (Gitea or Forgejo): migrated to OIDC on issuer ${base}/, which they serve; check /.well-known/openid-configuration there`)
  for (const key of ['login_url', 'redeem_url', 'validate_url', 'profile_url']) ctx.line(key, 'not-needed', 'providers[0].issuer', 'found by OIDC discovery')
  p.bearer = { enabled: false }
  return true
}

function mapGoogle(ctx: MigrateContext, p: Obj): void {
  const groups = ctx.list('google_groups')
  const admin = ctx.str('google_admin_email')
  const sa = ctx.str('google_service_account_json')
  if (groups.length) {
    p.groups = groups
    ctx.line('google_groups', 'mapped', 'providers[0].groups', 'members of any one group may log in; their groups go to X-Auth-Request-Groups')
  }
  if (admin) {
    p.adminEmail = admin
    ctx.line('google_admin_email', 'mapped', 'providers[0].adminEmail')
  } else if (groups.length) {
    p.adminEmail = ctx.secret('GOOGLE_ADMIN_EMAIL', 'the Workspace admin the service account impersonates (--google-admin-email was not set)')
  }
  if (sa || groups.length) {
    p.serviceAccount = `\${GOOGLE_SERVICE_ACCOUNT_FILE:-${sa ?? '/etc/gatehouse/google-service-account.json'}}`
    ctx.line('google_service_account_json', 'mapped', 'providers[0].serviceAccount', 'the key file path (or the key JSON) through GOOGLE_SERVICE_ACCOUNT_FILE; the file is read at start-up')
  }
  ctx.line('google_use_application_default_credentials', 'unsupported', undefined, 'Gatehouse needs a service-account key with domain-wide delegation (serviceAccount)')
  ctx.line('google_target_principal', 'unsupported', undefined, 'impersonation chains are not supported; give Gatehouse the target service account\'s key')
  const scope = ctx.str('scope')
  if (scope) {
    p.scopes = scope.split(/[\s,]+/).filter(Boolean)
    ctx.line('scope', 'mapped', 'providers[0].scopes')
  }
  mapBearer(ctx, p, 'google')
}

/** `issuer=audience` entries → extraIssuers. */
function mapExtraIssuers(ctx: MigrateContext): Obj[] {
  const out: Obj[] = []
  for (const entry of ctx.list('extra_jwt_issuers')) {
    const i = entry.lastIndexOf('=')
    const issuer = i > 0 ? entry.slice(0, i) : entry
    const audience = i > 0 ? entry.slice(i + 1) : ''
    let host = 'issuer'
    try {
      host = new URL(issuer).hostname
    } catch {
      // keep the fallback id; check-config names the bad URL
    }
    const base = host.replace(/[^a-z0-9]+/gi, '-').toLowerCase().replace(/^-+|-+$/g, '').slice(0, 28) || 'issuer'
    let id = base
    for (let n = 2; out.some((o) => o.id === id) || id === 'oidc' || id === 'keycloak' || id === 'google' || id === 'github'; n++) id = `${base}-${n}`
    const e: Obj = { id, issuer, audiences: audience ? [audience] : [] }
    if (isHttp(issuer)) e.allowInsecureRequests = true
    out.push(e)
  }
  if (out.length) ctx.line('extra_jwt_issuers', 'mapped', 'extraIssuers', 'accepted as bearer tokens whatever skip-jwt-bearer-tokens says; groups from the "groups" claim')
  return out
}

export function mapProvider(ctx: MigrateContext, alphaId?: string): { provider: Obj; extraIssuers: Obj[] } {
  const p: Obj = {}
  let type = providerType(ctx, p)
  if (type === 'github' && giteaAsOidc(ctx, p)) type = 'oidc-gitea'
  const id = (alphaId ?? (type === 'oidc-gitea' ? 'oidc' : type)).toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 32) || 'sso'
  const provider: Obj = { id, type: type === 'oidc-gitea' ? 'oidc' : type }
  const name = ctx.str('provider_display_name')
  if (name) {
    provider.displayName = name
    ctx.line('provider_display_name', 'mapped', 'providers[0].displayName')
  }
  const clientId = ctx.str('client_id')
  if (clientId) {
    provider.clientId = clientId
    ctx.line('client_id', 'mapped', 'providers[0].clientId')
  } else {
    provider.clientId = ctx.secret('OAUTH2_PROXY_CLIENT_ID', 'the OAuth client id (not in the input)')
    ctx.remark('--client-id', 'missing', 'providers[0].clientId', 'not in the input (oauth2-proxy would refuse to start too): set OAUTH2_PROXY_CLIENT_ID')
  }
  const secret = ctx.str('client_secret')
  provider.clientSecret = ctx.secret('OAUTH2_PROXY_CLIENT_SECRET', 'the OAuth client secret', secret)
  if (secret !== undefined) ctx.line('client_secret', 'mapped', 'providers[0].clientSecret', 'as ${OAUTH2_PROXY_CLIENT_SECRET}: keep the value in the environment, never in the file')
  else if (ctx.str('client_secret_file')) ctx.line('client_secret_file', 'difference', 'providers[0].clientSecret', "as ${OAUTH2_PROXY_CLIENT_SECRET}: put the file's content in that variable")
  else ctx.remark('--client-secret', 'missing', 'providers[0].clientSecret', 'not in the input: set OAUTH2_PROXY_CLIENT_SECRET')
  Object.assign(provider, p)
  if (type === 'github') mapGithub(ctx, provider)
  else if (type === 'google') mapGoogle(ctx, provider)
  else if (type !== 'oidc-gitea') mapOidc(ctx, provider, type)
  for (const key of ['login_url', 'redeem_url', 'profile_url', 'validate_url', 'oidc_jwks_url', 'skip_oidc_discovery']) {
    if (!ctx.reported.has(key)) ctx.line(key, 'unsupported', undefined, 'Gatehouse finds the endpoints by OIDC discovery; the IdP must serve /.well-known/openid-configuration')
  }
  return { provider, extraIssuers: mapExtraIssuers(ctx) }
}
