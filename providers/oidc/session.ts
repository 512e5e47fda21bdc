/**
 * What an OIDC provider does after login: renew a session with the refresh token, and verify
 * back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6) through the issuer's key set.
 */
import * as client from 'openid-client'
import { jwtVerify, type JWTVerifyGetKey } from 'jose'
import { SessionEndedError, type Identity, type LoginResult, type LogoutClaims, type RefreshInput } from '../../src/plugin.js'
import { classifyOidcError, type Claims } from './provider.js'

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'
/** A logout token older than this is refused even without `exp` (they are meant to be used at once). */
const LOGOUT_TOKEN_MAX_AGE = 300

const epoch = () => Math.floor(Date.now() / 1000)

/** Lifetimes and the IdP session id of a token response, as stored in the session. */
export function tokenLifetimes(tokens: client.TokenEndpointResponse, claims: Claims | undefined): Pick<LoginResult, 'accessExpiresAt' | 'refreshExpiresAt' | 'sid'> {
  // Keycloak's non-standard `refresh_expires_in` (0 for offline tokens: no limit).
  const refreshIn = Number((tokens as { refresh_expires_in?: unknown }).refresh_expires_in)
  return {
    accessExpiresAt: typeof tokens.expires_in === 'number' ? epoch() + tokens.expires_in : undefined,
    refreshExpiresAt: Number.isFinite(refreshIn) && refreshIn > 0 ? epoch() + refreshIn : undefined,
    sid: typeof claims?.sid === 'string' ? claims.sid : undefined,
  }
}

export interface OidcSessionDeps {
  id: string
  configuration: () => Promise<client.Configuration>
  timed: <T>(operation: string, fn: () => Promise<T>) => Promise<T>
  /** Builds the identity from refreshed ID-token claims, as at login. */
  identityOf: (claims: Claims, tokens: client.TokenEndpointResponse) => Identity
  clientId: string
  jwks: JWTVerifyGetKey
  clockSkewSeconds: number
}

export function createOidcSessions(d: OidcSessionDeps) {
  return {
    async refresh(session: RefreshInput): Promise<LoginResult> {
      // Without a refresh token (the IdP issued none) there is nothing to revalidate with.
      if (!session.refreshToken) return { ...session, identity: session.identity }
      const config = await d.configuration()
      let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers
      try {
        tokens = await d.timed('refresh', () => client.refreshTokenGrant(config, session.refreshToken!))
      } catch (err) {
        // invalid_grant and friends: the IdP ended the session (revoked, expired, user disabled).
        if (err instanceof client.ResponseBodyError && err.status < 500) throw new SessionEndedError(`${d.id} refresh refused: ${err.error}`, { cause: err })
        throw classifyOidcError(err, `${d.id} refresh`)
      }
      const claims = tokens.claims() as Claims | undefined
      let identity = session.identity
      if (claims) {
        identity = d.identityOf(claims, tokens)
        if (identity.subject !== session.identity.subject) throw new SessionEndedError(`${d.id} refresh returned another subject`)
      }
      return {
        identity,
        idToken: tokens.id_token ?? session.idToken,
        accessToken: tokens.access_token,
        // A rotated refresh token replaces the old one; otherwise the old one stays valid.
        refreshToken: tokens.refresh_token ?? session.refreshToken,
        ...tokenLifetimes(tokens, claims),
      }
    },

    async verifyLogoutToken(jwt: string): Promise<LogoutClaims> {
      const config = await d.configuration()
      const { payload } = await jwtVerify(jwt, d.jwks, {
        issuer: config.serverMetadata().issuer,
        audience: d.clientId,
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE,
        clockTolerance: d.clockSkewSeconds,
      })
      const events = payload.events as Record<string, unknown> | undefined
      const event = events && typeof events === 'object' ? events[LOGOUT_EVENT] : undefined
      if (!event || typeof event !== 'object' || Array.isArray(event)) throw new Error('logout token without the back-channel logout event')
      if ('nonce' in payload) throw new Error('logout token carries a nonce')
      const sub = typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined
      const sid = typeof payload.sid === 'string' && payload.sid ? payload.sid : undefined
      if (!sub && !sid) throw new Error('logout token names neither sid nor sub')
      if (typeof payload.jti !== 'string' || !payload.jti) throw new Error('logout token without jti')
      return { sub, sid, jti: payload.jti, expiresAt: payload.exp ?? payload.iat! + LOGOUT_TOKEN_MAX_AGE }
    },
  }
}
