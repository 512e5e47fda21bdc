/**
 * The JWT rules an OIDC-based provider's `bearer` options resolve to. The verification itself
 * (`createJwtBearer`) is the core's, shared with `extraIssuers`.
 */
import type { JwtRules } from '../../src/plugin.js'
import type { OidcOptions } from './options.js'

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
