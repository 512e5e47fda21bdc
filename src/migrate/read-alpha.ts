/**
 * The alpha YAML config (`--alpha-config`), where it overlaps the flat options: the first provider,
 * the upstreams, the listen addresses, and the injected headers (map-headers.ts). Values land
 * under the flat keys they replace, so the mapping is one.
 */
import { parse } from 'yaml'
import type { OptionSource, Value } from './options.js'

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})
const strs = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined)

/** Alpha provider fields → flat keys. */
const PROVIDER_FIELDS: [string, string][] = [
  ['provider', 'provider'],
  ['type', 'provider'],
  ['clientID', 'client_id'],
  ['clientSecret', 'client_secret'],
  ['clientSecretFile', 'client_secret_file'],
  ['name', 'provider_display_name'],
  ['scope', 'scope'],
  ['allowedGroups', 'allowed_groups'],
  ['code_challenge_method', 'code_challenge_method'],
  ['codeChallengeMethod', 'code_challenge_method'],
  ['loginURL', 'login_url'],
  ['redeemURL', 'redeem_url'],
  ['profileURL', 'profile_url'],
  ['validateURL', 'validate_url'],
  ['backendLogoutURL', 'backend_logout_url'],
  ['caFiles', 'provider_ca_file'],
  ['prompt', 'prompt'],
  ['approvalPrompt', 'approval_prompt'],
]
const OIDC_FIELDS: [string, string][] = [
  ['issuerURL', 'oidc_issuer_url'],
  ['emailClaim', 'oidc_email_claim'],
  ['groupsClaim', 'oidc_groups_claim'],
  ['userIDClaim', 'user_id_claim'],
  ['audienceClaims', 'oidc_audience_claims'],
  ['extraAudiences', 'oidc_extra_audiences'],
  ['insecureAllowUnverifiedEmail', 'insecure_oidc_allow_unverified_email'],
  ['insecureSkipIssuerVerification', 'insecure_oidc_skip_issuer_verification'],
  ['insecureSkipNonce', 'insecure_oidc_skip_nonce'],
  ['skipDiscovery', 'skip_oidc_discovery'],
  ['jwksURL', 'oidc_jwks_url'],
]

function put(values: Map<string, Value>, key: string, v: unknown): void {
  if (v === undefined || v === null) return
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') values.set(key, v)
  else if (Array.isArray(v)) values.set(key, v.map(String))
}

export function readAlpha(text: string, origin: string): OptionSource {
  const values = new Map<string, Value>()
  const problems: string[] = []
  let doc: Obj
  try {
    doc = obj(parse(text))
  } catch (err) {
    return { origin, values, problems: [`${origin}: not valid YAML (${(err as Error).message.split('\n')[0]})`] }
  }
  put(values, 'http_address', obj(doc.server).bindAddress)
  put(values, 'https_address', obj(doc.server).secureBindAddress)
  put(values, 'metrics_address', obj(doc.metricsServer).bindAddress)
  const upstreams = Array.isArray(obj(doc.upstreamConfig).upstreams) ? (obj(doc.upstreamConfig).upstreams as unknown[]) : []
  if (upstreams.length) {
    values.set(
      'upstreams',
      upstreams.map((u) => {
        const o = obj(u)
        if (o.static) return `static://${String(o.staticCode ?? 200)}`
        const path = String(o.path ?? '/')
        // One upstream on "/" is the common case; others keep their path so map.ts can report them.
        return path === '/' ? String(o.uri ?? '') : `${String(o.uri ?? '')}#path=${path}`
      }),
    )
  }
  for (const [field, key] of [['injectRequestHeaders', 'alpha_inject_request_headers'], ['injectResponseHeaders', 'alpha_inject_response_headers']] as const) {
    const list = Array.isArray(doc[field]) ? (doc[field] as unknown[]) : []
    // Each header as JSON (name and value sources): map-headers.ts turns claims into headers.custom.
    if (list.length) values.set(key, list.map((h) => JSON.stringify({ name: String(obj(h).name ?? '?'), values: Array.isArray(obj(h).values) ? obj(h).values : [] })))
  }
  const providers = Array.isArray(doc.providers) ? (doc.providers as unknown[]) : []
  if (providers.length > 1) problems.push(`${origin}: ${providers.length} providers; only the first is migrated (add the others to providers: by hand)`)
  const p = obj(providers[0])
  for (const [field, key] of PROVIDER_FIELDS) put(values, key, p[field])
  for (const [field, key] of OIDC_FIELDS) put(values, key, obj(p.oidcConfig)[field])
  const kc = obj(p.keycloakConfig)
  put(values, 'keycloak_groups', strs(kc.groups))
  put(values, 'allowed_roles', strs(kc.roles))
  const gh = obj(p.githubConfig)
  put(values, 'github_org', gh.org)
  put(values, 'github_team', gh.team)
  put(values, 'github_repo', gh.repo)
  put(values, 'github_token', gh.token)
  put(values, 'github_users', strs(gh.users))
  const g = obj(p.googleConfig)
  put(values, 'google_groups', strs(g.groups ?? g.group))
  put(values, 'google_admin_email', g.adminEmail)
  put(values, 'google_service_account_json', g.serviceAccountJson)
  put(values, 'google_target_principal', g.targetPrincipal)
  for (const key of Object.keys(doc)) {
    if (!['server', 'metricsServer', 'upstreamConfig', 'injectRequestHeaders', 'injectResponseHeaders', 'providers'].includes(key)) {
      values.set(`alpha_${key}`, 'set')
    }
  }
  return { origin, values, problems, providerId: typeof p.id === 'string' ? p.id : undefined }
}
