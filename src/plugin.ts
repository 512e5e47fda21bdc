/**
 * The identity-provider plugin contract. Built-in providers (`providers/*`) and third-party
 * plugins implement exactly this; see `providers/README.md` for the prose version.
 */
import type { Logger } from 'pino'
import type { Metrics } from './metrics.js'
import { NotResponsible } from './not-responsible.js'

/** Who a request belongs to, as the IdP stated it. Emails are verified and lower-case. */
export interface Identity {
  /** Stable id: the OIDC `sub`, or GitHub's numeric id. */
  subject: string
  /** Sent as X-Auth-Request-User. */
  user: string
  /** Only present when the IdP says it is verified. */
  email?: string
  preferredUsername?: string
  /** Group names (no commas). Keycloak realm roles are listed in `roles`, not here. */
  groups: string[]
  /** Realm roles and `client:role` client roles (Keycloak), empty elsewhere. */
  roles: string[]
  /** The provider id (config `providers[].id`) that vouched for this identity. */
  provider: string
  /** Epoch seconds after which the identity must not be trusted; caps every cache TTL. */
  expiresAt: number
}

/** What a provider hands back after a successful login or refresh. */
export interface LoginResult {
  identity: Identity
  /** Kept in the session for RP-initiated logout (`id_token_hint`). */
  idToken?: string
  accessToken?: string
  /** Epoch seconds after which `accessToken` is expired (`expires_in`). */
  accessExpiresAt?: number
  /** Kept in the session (sealed cookie or Redis) for `refresh`. */
  refreshToken?: string
  /** Epoch seconds after which the IdP will not refresh any more (`refresh_expires_in`): caps the session. */
  refreshExpiresAt?: number
  /** The IdP's session id (ID token `sid`), matched by back-channel logout. */
  sid?: string
}

/** The stored session a provider is asked to renew. */
export interface RefreshInput {
  identity: Identity
  idToken?: string
  accessToken?: string
  refreshToken?: string
}

/** What a verified back-channel logout token names: one IdP session (`sid`), or every session of `sub`. */
export interface LogoutClaims {
  sub?: string
  sid?: string
  /** Epoch seconds: the token's `exp` (or iat + a few minutes). */
  expiresAt: number
  /** The token's `jti`, for replay detection. */
  jti: string
}

/** The per-flow values a provider needs to build the authorization URL. */
export interface LoginInput {
  redirectUri: string
  state: string
  nonce: string
  codeVerifier: string
  /**
   * The user asked to use another account: ask the IdP to show its account chooser or login form
   * even if it still has a session (OIDC `prompt=select_account` or `prompt=login`).
   */
  switchAccount?: boolean
}

/** The callback as received, plus the flow values kept in the state cookie. */
export interface CallbackInput {
  /** The configured public callback URL with the received query string. */
  callbackUrl: URL
  redirectUri: string
  state: string
  nonce: string
  codeVerifier: string
}

/** Returned by `verifyBearer` when a token is not this provider's to judge. */
export { NotResponsible }

export interface Provider {
  /** The configured id, e.g. `corp`. */
  readonly id: string
  /** The plugin type, e.g. `keycloak`. */
  readonly type: string
  /** Shown on the sign-in page. */
  readonly displayName: string
  /** Resolves once discovery etc. succeeded; `/ready` reports false until then. */
  ready(): Promise<void>
  authorizationUrl(input: LoginInput): Promise<URL>
  callback(input: CallbackInput): Promise<LoginResult>
  /**
   * Revalidates a session with the IdP once it is `session.refresh` old. Throws `SessionEndedError`
   * when the IdP refuses (the session ends), any other error when the IdP could not be asked.
   * Without it, a session lives until `cookie.expire`.
   */
  refresh?(session: RefreshInput): Promise<LoginResult>
  verifyBearer?(token: string): Promise<Identity | typeof NotResponsible>
  /**
   * RP-initiated logout URL, or undefined. `postLogoutRedirectUri` is always Gatehouse's signed-out
   * page; `state` (when given) must come back on it unchanged, as OIDC RP-Initiated Logout's `state`.
   */
  endSessionUrl?(idToken: string | undefined, postLogoutRedirectUri: string, state?: string): URL | undefined
  /**
   * Back-channel logout: verifies a logout token (signature through the provider's key set, iss,
   * aud, iat/exp, events, sid or sub, no nonce). Throws on any failure. Replay (`jti`) is the core's job.
   */
  verifyLogoutToken?(jwt: string): Promise<LogoutClaims>
}

/** Services the core lends to every provider. */
export interface ProviderContext {
  logger: Logger
  metrics: Metrics
  /** Seconds of clock skew tolerated on token lifetimes. */
  clockSkewSeconds: number
  /**
   * Keeps state across config reloads: returns the value this provider (same id and type) made under
   * equal `settings` before the reload, else `make()`'s. Pass every setting the state depends on
   * (issuer, client, …); anything changed gets fresh state. Absent outside a running Gatehouse.
   */
  reuse?<T>(settings: unknown, make: () => T): T
}

export type ParseResult<O> = { ok: true; options: O } | { ok: false; errors: string[] }

/**
 * A provider plugin. `parseOptions` receives the provider's config entry (minus `id`/`type`
 * handling done by the core) and reports problems as `key: message` strings, the key relative to
 * the entry; the core prefixes `providers[i].`.
 */
export interface ProviderDefinition<O = unknown> {
  /** The `type` users write in config. */
  type: string
  kind: 'oidc' | 'oauth2'
  /** Default button label when the config gives none. */
  displayName: string
  parseOptions(raw: Record<string, unknown>): ParseResult<O>
  create(id: string, options: O, ctx: ProviderContext): Provider
}

export const defineProvider = <O>(definition: ProviderDefinition<O>): ProviderDefinition<O> =>
  definition

/*
 * Helpers the core lends to providers: the error classes Gatehouse answers with its 400/403/502
 * pages, option parsing, and the token and claim code the OIDC-based providers share with
 * `extraIssuers`. Built-in providers import from src/ only through this file, as a third-party
 * plugin would (test/unit/layering.test.ts).
 */
export {
  AccessDeniedError,
  ForbiddenError,
  GatehouseError,
  IdpRateLimitedError,
  LoginError,
  SessionEndedError,
  UpstreamIdpError,
} from './errors.js'
export { parseDuration } from './config/duration.js'
export { JWT_ALGORITHMS, MAX_CLOCK_SKEW_SECONDS, type JwtRules } from './tokens/jwt.js'
export { createJwtBearer } from './tokens/jwt-bearer.js'
export { createJwks } from './tokens/jwks.js'
export { createCredentialCache, hashCredential } from './tokens/cache.js'
export { claimAt, claimList, normaliseEmail } from './claims/read.js'
export { keycloakGroups, keycloakRoles } from './claims/keycloak.js'
