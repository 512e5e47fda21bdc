/**
 * Keycloak puts roles in `realm_access.roles` and `resource_access.<client>.roles`; group
 * membership in `groups` (full paths like `/staff` when the mapper says so).
 * https://www.keycloak.org/docs/latest/server_admin/#_protocol-mappers
 * In the core because extra issuers read them too (src/tokens/issuer-claims.ts).
 */
import { claimList } from './read.js'

type Claims = Record<string, unknown>

/** Realm roles as-is, client roles as `client:role`. */
export function keycloakRoles(claims: Claims): string[] {
  const roles = claimList((claims.realm_access as Claims | undefined)?.roles)
  const resources = claims.resource_access
  if (resources && typeof resources === 'object') {
    for (const [clientId, access] of Object.entries(resources as Record<string, Claims>)) {
      if (clientId.includes(',') || clientId.includes(':')) continue
      for (const role of claimList(access?.roles)) roles.push(`${clientId}:${role}`)
    }
  }
  return [...new Set(roles)]
}

/** Group names without Keycloak's leading slash, so `/staff` and `staff` compare equal. */
export function keycloakGroups(claims: Claims): string[] {
  return [...new Set(claimList(claims.groups).map((g) => (g.startsWith('/') ? g.slice(1) : g)))]
}
