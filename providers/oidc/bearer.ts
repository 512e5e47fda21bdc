/**
 * JWT bearer tokens for the OIDC-based providers and for `extraIssuers`: route on the unverified
 * `iss` (a foreign issuer is declined before any JWKS is touched), verify with the issuer's
 * cached JWKS, then map claims exactly as a login would.
 */
import type { JWTVerifyGetKey } from 'jose'
import { NotResponsible, type Identity } from '../../src/plugin.js'
import { peekIssuer, verifyJwt, type JwtRules } from '../../src/tokens/jwt.js'
import { keycloakGroups, keycloakRoles } from '../keycloak/roles.js'
import { claimAt, claimList, normaliseEmail } from '../shared/claims.js'
import type { OidcOptions } from './options.js'

export type Claims = Record<string, unknown>
export type BearerVerify = (token: string) => Promise<Identity | typeof NotResponsible>

export function createJwtBearer(rules: JwtRules, jwks: JWTVerifyGetKey, map: (claims: Claims, token: string) => Identity): BearerVerify {
  const issuers = new Set(rules.issuers)
  return async (token) => {
    const iss = peekIssuer(token)
    if (iss === undefined || !issuers.has(iss)) return NotResponsible
    return map((await verifyJwt(token, jwks, rules)) as Claims, token)
  }
}

interface TypeDefaults {
  enabled: boolean
  acceptAzp: boolean
  typ?: string
}

const DEFAULTS: Record<string, TypeDefaults> = {
  // Access tokens: payload typ "Bearer", azp = client id, aud unreliable (identity-providers.md §1).
  keycloak: { enabled: true, acceptAzp: true, typ: 'Bearer' },
  // ID tokens (aud = client id) are Google's only JWTs; opt-in.
  google: { enabled: false, acceptAzp: false },
  oidc: { enabled: true, acceptAzp: true },
}

/** The JWT rules a provider's `bearer` options resolve to, or undefined when bearer tokens are off. */
export function providerBearerRules(type: string, options: OidcOptions, issuerAliases: readonly string[]): JwtRules | undefined {
  const defaults = DEFAULTS[type] ?? DEFAULTS.oidc!
  const bearer = options.bearer
  if (!(bearer.enabled ?? defaults.enabled)) return undefined
  // Google's Directory-group requirement is checked at login only; a bearer token would skip it.
  if ((options as { groups?: unknown[] }).groups?.length) return undefined
  return {
    issuers: [options.issuer, ...issuerAliases],
    audiences: bearer.audiences ?? [options.clientId],
    authorizedParties: (bearer.acceptAzp ?? defaults.acceptAzp) ? [options.clientId] : [],
    typ: bearer.typ === null ? undefined : (bearer.typ ?? defaults.typ),
    algorithms: bearer.algorithms,
    clockSkewSeconds: bearer.clockSkew,
    // Google's only JWTs are ID tokens (opt-in); everyone else issues access tokens for this.
    refuseIdTokens: type !== 'google',
  }
}

export interface ClaimNames {
  userClaim: string
  emailClaim: string
  groupsClaim: string
}

/** Identity for an extra issuer: configured claim names, plus Keycloak-style roles and groups when present. */
export function mapIssuerClaims(id: string, claims: Claims, names: ClaimNames): Identity {
  const verified = claims.email_verified
  const email = verified === false || verified === 'false' ? undefined : normaliseEmail(claimAt(claims, names.emailClaim))
  const user = claimAt(claims, names.userClaim)
  const groups = names.groupsClaim === 'groups' ? keycloakGroups(claims) : claimList(claimAt(claims, names.groupsClaim))
  return {
    subject: String(claims.sub),
    user: typeof user === 'string' && user ? user : String(claims.sub),
    email,
    preferredUsername: typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined,
    groups,
    roles: keycloakRoles(claims),
    provider: id,
    expiresAt: claims.exp as number,
  }
}
