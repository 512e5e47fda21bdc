import { z } from 'zod'

/** Options every OIDC-based provider accepts (`type: oidc`, and the base of keycloak/google). */
export const oidcOptionsShape = {
  /** The issuer; discovery must return exactly this value. */
  issuer: z.string().url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
  /** Claim holding the value sent as X-Auth-Request-User. */
  userClaim: z.string().default('sub'),
  emailClaim: z.string().default('email'),
  /** Dotted path to the groups claim (`groups`, `realm_access.roles`). */
  groupsClaim: z.string().default('groups'),
  /** Drop the email unless `email_verified` is true (false: only an explicit `false` drops it). */
  requireEmailVerified: z.boolean().default(false),
  /** Extra authorization-request parameters (`prompt`, `acr_values`, …). */
  extraAuthParams: z.record(z.string(), z.string()).default({}),
  /** Seconds before an IdP call is abandoned. */
  timeoutSeconds: z.number().positive().max(60).default(5),
  /** Allow plain-http issuers. For local tests and the demo only. */
  allowInsecureRequests: z.boolean().default(false),
}

export const oidcOptionsSchema = z.object(oidcOptionsShape).strict()
export type OidcOptions = z.infer<typeof oidcOptionsSchema>
