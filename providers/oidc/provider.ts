/**
 * The generic OpenID Connect provider, on openid-client 6. Keycloak and Google build on it by
 * passing a claim mapper; the login mechanics are shared.
 */
import { createHash } from 'node:crypto'
import * as client from 'openid-client'
import {
  AccessDeniedError,
  JWT_ALGORITHMS,
  LoginError,
  MAX_CLOCK_SKEW_SECONDS,
  UpstreamIdpError,
  claimAt,
  claimList,
  createJwks,
  createJwtBearer,
  normaliseEmail,
  type CallbackInput,
  type Identity,
  type LoginInput,
  type LoginResult,
  type Provider,
  type ProviderContext,
} from '../../src/plugin.js'
import { errors as joseErrors, jwtVerify } from 'jose'
import { providerBearerRules } from './bearer.js'
import { createIssuerAliases } from './issuer-aliases.js'
import { createOidcSessions, tokenLifetimes } from './session.js'
import type { OidcOptions } from './options.js'

export type Claims = Record<string, unknown>

/** Maps verified ID-token claims (and the raw token response) onto an identity. */
export type ClaimMapper = (claims: Claims, tokens: client.TokenEndpointResponse) => Identity

/** Adds `value` to a space-separated `prompt`; `none` goes, since it would forbid the very form asked for. */
export const withPrompt = (prompt: string | undefined, value: string): string =>
  [...new Set([...(prompt ?? '').split(' ').filter((p) => p && p !== 'none'), value])].join(' ')

export interface OidcHooks {
  type: string
  displayName: string
  /** Replaces the default claim mapping. */
  mapClaims?: (base: Identity, claims: Claims, tokens: client.TokenEndpointResponse) => Identity
  /** Extra authorization-request parameters. */
  authParams?: () => Record<string, string>
  /** The `prompt` value that lets the user pick another account (default `login`; Google: `select_account`). */
  switchAccountPrompt?: string
  /** Other spellings of the issuer accepted in ID-token `iss` (Google's scheme-less one). */
  issuerAliases?: readonly string[]
}

const TRANSPORT_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'])

/** Network failures, timeouts and non-OAuth answers, anywhere in the cause chain. */
function isTransportFailure(err: unknown): boolean {
  for (let e = err as { code?: string; name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (e instanceof TypeError || e.name === 'AbortError' || e.name === 'TimeoutError' || (e.code && TRANSPORT_CODES.has(e.code))) return true
  }
  return false
}

/** Classifies an openid-client failure: network and 5xx → 502, the rest → a login error. */
export function classifyOidcError(err: unknown, what: string): Error {
  if (err instanceof client.AuthorizationResponseError) {
    return err.error === 'access_denied'
      ? new AccessDeniedError(`${what}: access_denied`, { cause: err })
      : new LoginError(`${what}: ${err.error}`, { cause: err })
  }
  if (err instanceof client.ResponseBodyError) {
    return err.status >= 500
      ? new UpstreamIdpError(`${what}: IdP answered ${err.status}`, { cause: err })
      : new LoginError(`${what}: ${err.error}`, { cause: err })
  }
  if (isTransportFailure(err)) return new UpstreamIdpError(`${what}: ${(err as Error).message}`, { cause: err })
  return new LoginError(`${what}: ${(err as Error).message}`, { cause: err })
}

/**
 * What a provider learns from its IdP: the discovery result and the key sets. Kept across config
 * reloads (`ctx.reuse`) while the settings it depends on are unchanged, so a reload during an IdP
 * outage still verifies tokens signed with keys already fetched.
 */
function createIdpState(id: string, options: OidcOptions, ctx: ProviderContext, hooks: OidcHooks) {
  let discovered: Promise<client.Configuration> | undefined
  let discoveredSync: client.Configuration | undefined
  const aliases = createIssuerAliases(hooks.issuerAliases ?? [], {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    insecure: options.allowInsecureRequests,
    timeout: options.timeoutSeconds,
  })
  const timed = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    try {
      const value = await fn()
      ctx.metrics.idpRequest(id, operation, 'success', (performance.now() - started) / 1000)
      return value
    } catch (err) {
      ctx.metrics.idpRequest(id, operation, 'error', (performance.now() - started) / 1000)
      throw err
    }
  }

  /** Discovery is retried on the next call after a failure, so a late IdP does not need a restart. */
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= timed('discovery', () =>
      client.discovery(new URL(options.issuer), options.clientId, options.clientSecret, undefined, {
        timeout: options.timeoutSeconds,
        execute: options.allowInsecureRequests ? [client.allowInsecureRequests] : [],
      }),
    ).then(
      (config) => {
        // No enableNonRepudiationChecks: its key cache refetches an unknown kid only once its copy
        // is 60 s old, so every login failed for a minute after a key rotation. The signature is
        // checked below against the provider's shared JWKS instead (verifyIdTokenSignature).
        aliases.attach(config)
        discoveredSync = config
        return config
      },
      (err) => {
        discovered = undefined
        throw new UpstreamIdpError(`discovery of ${options.issuer} failed: ${(err as Error).message}`, { cause: err })
      },
    )
    return discovered
  }

  const keySet = () =>
    createJwks({
      provider: id,
      uri: async () => {
        const uri = (await configuration()).serverMetadata().jwks_uri
        if (!uri) throw new Error('the discovery document has no jwks_uri')
        return new URL(uri)
      },
      metrics: ctx.metrics,
      cooldownMs: options.bearer.jwksCooldown * 1000,
      timeoutMs: options.timeoutSeconds * 1000,
    })
  // One key set for login ID tokens and bearer tokens; one for refreshes and logout tokens.
  const jwks = keySet()
  const sessionJwks = keySet()
  return { configuration, discoveredSync: () => discoveredSync, aliases, jwks, sessionJwks, timed }
}

/** Every setting the IdP state depends on; the secret only as a digest, since the key is kept in memory. */
const idpSettings = (options: OidcOptions, hooks: OidcHooks) => ({
  issuer: options.issuer,
  clientId: options.clientId,
  clientSecret: createHash('sha256').update(options.clientSecret).digest('base64url'),
  insecure: options.allowInsecureRequests,
  timeoutSeconds: options.timeoutSeconds,
  jwksCooldown: options.bearer.jwksCooldown,
  algorithms: options.bearer.algorithms,
  issuerAliases: hooks.issuerAliases ?? [],
})

export function createOidcProvider(id: string, options: OidcOptions, ctx: ProviderContext, hooks: OidcHooks): Provider {
  const make = () => createIdpState(id, options, ctx, hooks)
  const { configuration, discoveredSync, aliases, jwks, sessionJwks, timed } = ctx.reuse ? ctx.reuse(idpSettings(options, hooks), make) : make()

  const baseIdentity = (claims: Claims): Identity => {
    const verified = claims.email_verified
    const emailOk = verified === true || verified === 'true' || (verified === undefined && !options.requireEmailVerified)
    const email = emailOk ? normaliseEmail(claimAt(claims, options.emailClaim)) : undefined
    const user = claimAt(claims, options.userClaim)
    return {
      subject: String(claims.sub),
      user: typeof user === 'string' && user ? user : String(claims.sub),
      email,
      preferredUsername: typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined,
      groups: claimList(claimAt(claims, options.groupsClaim)),
      roles: [],
      provider: id,
      expiresAt: typeof claims.exp === 'number' ? claims.exp : Math.floor(Date.now() / 1000) + 300,
    }
  }

  /**
   * The ID token's signature, against the shared JWKS; openid-client has already checked its
   * claims (iss, aud, azp, exp, iat, nonce) when it processed the token response.
   */
  const verifyIdTokenSignature = async (config: client.Configuration, idToken: string) => {
    const supported = config.serverMetadata().id_token_signing_alg_values_supported ?? ['RS256']
    const algorithms = JWT_ALGORITHMS.filter((a) => supported.includes(a))
    try {
      await jwtVerify(idToken, jwks.forLogin, {
        algorithms,
        issuer: [options.issuer, ...(hooks.issuerAliases ?? [])],
        audience: options.clientId,
        clockTolerance: MAX_CLOCK_SKEW_SECONDS,
      })
    } catch (err) {
      if (err instanceof UpstreamIdpError) throw err
      if (err instanceof joseErrors.JWKSTimeout) throw new UpstreamIdpError(`${id}: JWKS fetch timed out`, { cause: err })
      throw new LoginError(`${id}: ID token signature: ${(err as { code?: string }).code ?? (err as Error).message}`, { cause: err })
    }
  }

  const bearerRules = providerBearerRules(hooks.type, options, hooks.issuerAliases ?? [])
  const verifyBearer = bearerRules
    ? createJwtBearer(
        bearerRules,
        jwks,
        (claims, token) => {
          const base = baseIdentity(claims)
          // The token itself stands in for the token response, so Keycloak reads roles from it as at login.
          return hooks.mapClaims ? hooks.mapClaims(base, claims, { access_token: token, token_type: 'bearer' } as client.TokenEndpointResponse) : base
        },
      )
    : undefined

  const sessions = createOidcSessions({
    id,
    configuration,
    timed,
    clientId: options.clientId,
    clockSkewSeconds: ctx.clockSkewSeconds,
    identityOf: (claims, tokens) => (hooks.mapClaims ? hooks.mapClaims(baseIdentity(claims), claims, tokens) : baseIdentity(claims)),
    jwks: sessionJwks,
  })

  return {
    id,
    type: hooks.type,
    displayName: hooks.displayName,
    ...(verifyBearer ? { verifyBearer } : {}),
    refresh: sessions.refresh,
    verifyLogoutToken: sessions.verifyLogoutToken,
    async ready() {
      await configuration()
    },
    async authorizationUrl(input: LoginInput) {
      const config = await configuration()
      const extra: Record<string, string> = { ...options.extraAuthParams, ...hooks.authParams?.() }
      if (input.switchAccount) extra.prompt = withPrompt(extra.prompt, hooks.switchAccountPrompt ?? 'login')
      return client.buildAuthorizationUrl(config, {
        redirect_uri: input.redirectUri,
        scope: options.scopes.join(' '),
        state: input.state,
        nonce: input.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(input.codeVerifier),
        code_challenge_method: 'S256',
        ...extra,
      })
    },
    async callback(input: CallbackInput): Promise<LoginResult> {
      const config = await configuration()
      let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers
      try {
        const checks = {
          pkceCodeVerifier: input.codeVerifier,
          expectedState: input.state,
          expectedNonce: input.nonce,
          idTokenExpected: true,
        }
        tokens = await aliases.run(async () => {
          try {
            return await timed('token', () => client.authorizationCodeGrant(config, input.callbackUrl, checks))
          } catch (err) {
            const alias = aliases.aliasFor(err)
            if (!alias) throw err
            return aliases.replay(config, alias, input.callbackUrl, checks)
          }
        })
      } catch (err) {
        throw classifyOidcError(err, `${id} code exchange`)
      }
      const claims = tokens.claims() as Claims | undefined
      if (!claims || !tokens.id_token) throw new LoginError(`${id}: no ID token in the token response`)
      await verifyIdTokenSignature(config, tokens.id_token)
      const base = baseIdentity(claims)
      const identity = hooks.mapClaims ? hooks.mapClaims(base, claims, tokens) : base
      return {
        identity,
        idToken: tokens.id_token,
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        ...tokenLifetimes(tokens, claims),
      }
    },
    endSessionUrl(idToken, postLogoutRedirectUri, state) {
      // Only reachable after a login, so discovery has completed; never block sign-out on it.
      const config = discoveredSync()
      if (!config || !config.serverMetadata().end_session_endpoint) return undefined
      const params: Record<string, string> = { post_logout_redirect_uri: postLogoutRedirectUri }
      if (idToken) params.id_token_hint = idToken
      if (state) params.state = state
      return client.buildEndSessionUrl(config, params)
    },
  }
}
