/**
 * oauth2-proxy v7's option names in their three spellings. The canonical key is the config file's
 * (`email_domains`); flags are mostly its kebab-case (`--email-domain` is the exception list below) and
 * environment variables `OAUTH2_PROXY_` + the key in upper case.
 */

/** Flags whose config key is not simply the flag with `_` for `-` (plurals, mostly). */
const FLAG_TO_KEY: Record<string, string> = {
  'email-domain': 'email_domains',
  upstream: 'upstreams',
  'cookie-domain': 'cookie_domains',
  'whitelist-domain': 'whitelist_domains',
  'skip-auth-route': 'skip_auth_routes',
  'allowed-group': 'allowed_groups',
  'allowed-role': 'allowed_roles',
  'api-route': 'api_routes',
  'trusted-ip': 'trusted_ips',
  'oidc-extra-audience': 'oidc_extra_audiences',
  'oidc-audience-claim': 'oidc_audience_claims',
  'exclude-logging-path': 'exclude_logging_paths',
  'github-user': 'github_users',
  'google-group': 'google_groups',
  'keycloak-group': 'keycloak_groups',
  'extra-jwt-issuers': 'extra_jwt_issuers',
  'skip-auth-regex': 'skip_auth_regex',
}

/** Config keys spelt differently in old files, folded onto the current key. */
const KEY_ALIASES: Record<string, string> = {
  google_group: 'google_groups',
  keycloak_group: 'keycloak_groups',
  github_user: 'github_users',
  email_domain: 'email_domains',
  upstream: 'upstreams',
  cookie_domain: 'cookie_domains',
  whitelist_domain: 'whitelist_domains',
  skip_auth_route: 'skip_auth_routes',
  allowed_group: 'allowed_groups',
  allowed_role: 'allowed_roles',
}

/** Options that hold lists: repeated flags add entries, a comma-separated value is split. */
export const LIST_KEYS = new Set([
  'email_domains',
  'upstreams',
  'cookie_domains',
  'whitelist_domains',
  'skip_auth_regex',
  'skip_auth_routes',
  'allowed_groups',
  'allowed_roles',
  'api_routes',
  'trusted_ips',
  'extra_jwt_issuers',
  'oidc_extra_audiences',
  'oidc_audience_claims',
  'google_groups',
  'keycloak_groups',
  'github_users',
  'redis_sentinel_connection_urls',
  'redis_cluster_connection_urls',
  'exclude_logging_paths',
])

/** Boolean options: a bare flag (`--reverse-proxy`) means true. */
export const BOOL_KEYS = new Set([
  'reverse_proxy',
  'set_xauthrequest',
  'set_authorization_header',
  'pass_access_token',
  'pass_user_headers',
  'pass_authorization_header',
  'pass_basic_auth',
  'pass_host_header',
  'skip_jwt_bearer_tokens',
  'skip_provider_button',
  'skip_auth_preflight',
  'skip_auth_strip_headers',
  'cookie_secure',
  'cookie_httponly',
  'cookie_csrf_per_request',
  'session_cookie_minimal',
  'redis_use_sentinel',
  'redis_use_cluster',
  'redis_insecure_skip_tls_verify',
  'insecure_oidc_allow_unverified_email',
  'insecure_oidc_skip_issuer_verification',
  'insecure_oidc_skip_nonce',
  'skip_oidc_discovery',
  'ssl_insecure_skip_verify',
  'ssl_upstream_insecure_skip_verify',
  'request_logging',
  'auth_logging',
  'standard_logging',
  'silence_ping_logging',
  'force_https',
  'force_json_errors',
  'display_htpasswd_form',
  'prefer_email_to_user',
  'set_basic_auth',
  'show_debug_on_error',
  'encode_state',
  'gcp_healthchecks',
  'skip_claims_from_profile_url',
  'relative_redirect_url',
  'use_system_trust_store',
  'google_use_application_default_credentials',
  'errors_to_info_log',
  'logging_local_time',
  'logging_compress',
  'cookie_secure',
])

export function keyOfFlag(flag: string): string {
  const name = flag.replace(/^-+/, '').toLowerCase()
  return FLAG_TO_KEY[name] ?? canonicalKey(name.replace(/-/g, '_'))
}

export function canonicalKey(key: string): string {
  const k = key.toLowerCase()
  return KEY_ALIASES[k] ?? k
}

/** The flag spelling of a key, for the report (`email_domains` → `--email-domain`). */
export function flagOfKey(key: string): string {
  const hit = Object.entries(FLAG_TO_KEY).find(([, k]) => k === key)
  return `--${hit ? hit[0] : key.replace(/_/g, '-')}`
}

/** Environment variable of a key (`cookie_secret` → `OAUTH2_PROXY_COOKIE_SECRET`). */
export const envOfKey = (key: string) => `OAUTH2_PROXY_${key.toUpperCase()}`

export type Value = string | boolean | number | string[]

/** Options read from one source, by canonical key; `origin` names the source in the report. */
export interface OptionSource {
  origin: string
  values: Map<string, Value>
  /** Problems met while reading (a flag without value, a line that is no assignment). */
  problems: string[]
  /** The alpha config's provider id. */
  providerId?: string
}

/**
 * A list value. Arrays are taken as they are (each reader already split its own syntax); a single string
 * (a config-file string or an environment variable) splits on commas, as viper's string-to-slice hook
 * does. Whitespace does not separate entries: `GET=^/a GET=^/b` is one route to oauth2-proxy too.
 */
export const asList = (v: Value | undefined): string[] => {
  if (v === undefined || typeof v === 'boolean' || typeof v === 'number') return v === undefined ? [] : [String(v)]
  if (Array.isArray(v)) return v.map((s) => String(s).trim()).filter(Boolean)
  return v.split(',').map((s) => s.trim()).filter(Boolean)
}

export const asBool = (v: Value | undefined): boolean | undefined => {
  if (v === undefined) return undefined
  if (typeof v === 'boolean') return v
  const s = String(Array.isArray(v) ? v[v.length - 1] : v).trim().toLowerCase()
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(s)) return true
  if (['false', '0', 'f', 'no', 'n', 'off', ''].includes(s)) return false
  return undefined
}

export const asString = (v: Value | undefined): string | undefined => {
  if (v === undefined) return undefined
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined
  return String(v)
}
