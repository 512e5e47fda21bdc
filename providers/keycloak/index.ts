import { decodeJwt } from 'jose'
import { z } from 'zod'
import { defineProvider, keycloakGroups, keycloakRoles } from '../../src/plugin.js'
import { oidcOptionsShape, requireHttpsIssuer, type OidcOptions } from '../oidc/options.js'
import { createOidcProvider } from '../oidc/provider.js'
import { parseWith } from '../shared/options.js'

const keycloakOptionsSchema = z
  .object({
    ...oidcOptionsShape,
    issuer: oidcOptionsShape.issuer.refine(
      // A value that is no URL at all already has its problem from .url().
      (v) => !URL.canParse(v) || /\/realms\/[^/]+\/?$/.test(new URL(v).pathname),
      'must be a realm URL, e.g. https://sso.example.com/realms/corp',
    ),
  })
  .strict()
  .superRefine(requireHttpsIssuer)

/**
 * Keycloak realm. Roles come from the ID token and, since Keycloak often keeps them out of it,
 * from the access token received over the back channel (decoded, not re-verified: it came
 * straight from the token endpoint, as oauth2-proxy does).
 */
export default defineProvider<OidcOptions>({
  type: 'keycloak',
  kind: 'oidc',
  displayName: 'Keycloak',
  parseOptions: (raw) => parseWith(keycloakOptionsSchema, raw),
  create: (id, options, ctx) =>
    createOidcProvider(id, options, ctx, {
      type: 'keycloak',
      displayName: 'Keycloak',
      mapClaims(base, claims, tokens) {
        let access: Record<string, unknown> = {}
        try {
          if (tokens.access_token?.split('.').length === 3) access = decodeJwt(tokens.access_token)
        } catch {
          // opaque or malformed access token: roles come from the ID token alone
        }
        const roles = [...new Set([...keycloakRoles(claims), ...keycloakRoles(access)])]
        const groups = [...new Set([...keycloakGroups(claims), ...keycloakGroups(access)])]
        return { ...base, roles, groups }
      },
    }),
})
