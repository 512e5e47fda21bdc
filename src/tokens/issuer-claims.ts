/** The identity an extra issuer's verified token stands for (config `extraIssuers[]`). */
import type { Identity } from '../plugin.js'
import { keycloakGroups, keycloakRoles } from '../claims/keycloak.js'
import { claimAt, claimList, normaliseEmail } from '../claims/read.js'
import type { Claims } from './jwt-bearer.js'

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
