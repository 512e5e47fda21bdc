/**
 * The `xauthrequest` preset's identity headers (the default). What an allow answer carries is decided
 * by the header mapping (mapping.ts), which gives the same names and values for this preset. All are
 * always present (empty when unknown, and Roles empty unless `headers.roles` opts in), which defeats
 * Caddy 2.6.2's placeholder leak and GHSA-7r4p-vjf4-gxv4.
 */
import type { Identity } from '../plugin.js'

export const IDENTITY_HEADERS = [
  'X-Auth-Request-User',
  'X-Auth-Request-Email',
  'X-Auth-Request-Groups',
  'X-Auth-Request-Preferred-Username',
  'X-Auth-Request-Roles',
] as const

export const ACCESS_TOKEN_HEADER = 'X-Auth-Request-Access-Token'

/**
 * Header values for an identity, computed once per cached session rather than per request.
 * `withRoles` (config `headers.roles`): realm roles and `client:role` client roles, comma-joined.
 */
export function identityHeaderValues(identity: Identity, withRoles = false): [string, string][] {
  return [
    ['X-Auth-Request-User', identity.user],
    ['X-Auth-Request-Email', identity.email ?? ''],
    ['X-Auth-Request-Groups', identity.groups.join(',')],
    ['X-Auth-Request-Preferred-Username', identity.preferredUsername ?? ''],
    ['X-Auth-Request-Roles', withRoles ? identity.roles.filter((r) => !r.includes(',')).join(',') : ''],
  ]
}
