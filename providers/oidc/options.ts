import { z } from 'zod'
import { JWT_ALGORITHMS, MAX_CLOCK_SKEW_SECONDS, parseDuration } from '../../src/plugin.js'

const seconds = (fallback: string, max: number) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const s = parseDuration(v)
      if (s === undefined || s > max) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as "30s", at most ${max}s` })
        return z.NEVER
      }
      return s
    })

/** `Authorization: Bearer <JWT>` accepted in place of a session; defaults depend on the provider type. */
export const bearerOptionsSchema = z
  .object({
    /** Default: on for keycloak and oidc, off for google (ID tokens as bearer are opt-in). */
    enabled: z.boolean().optional(),
    /** Accept tokens whose `aud` contains one of these. Default: [clientId]. */
    audiences: z.array(z.string().min(1)).optional(),
    /** Also accept tokens whose `azp` is the client id. Default: true (false for google). */
    acceptAzp: z.boolean().optional(),
    /** Required payload `typ` claim; null disables the check. Default: `Bearer` for keycloak, none otherwise. */
    typ: z.string().min(1).nullable().optional(),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256']),
    /** Tolerated clock difference on `nbf`/`iat` (at most 30s); `exp` is never extended past Gatehouse's clock. */
    clockSkew: seconds('30s', MAX_CLOCK_SKEW_SECONDS),
    /** Minimum time between JWKS fetches caused by unknown `kid`s in bearer tokens (logins never wait). */
    jwksCooldown: seconds('5s', 3600),
  })
  .strict()
  .prefault({})
export type BearerOptions = z.output<typeof bearerOptionsSchema>

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
  bearer: bearerOptionsSchema,
}

/** Discovery refuses an http issuer without allowInsecureRequests: say so offline, not as a /ready that stays 503. */
export function requireHttpsIssuer(o: { issuer?: string; allowInsecureRequests?: boolean }, ctx: z.RefinementCtx): void {
  if (o.allowInsecureRequests || !o.issuer?.startsWith('http:')) return
  ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'is http: use https, or set allowInsecureRequests: true (local tests and the demo only)' })
}

export const oidcOptionsSchema = z.object(oidcOptionsShape).strict().superRefine(requireHttpsIssuer)
export type OidcOptions = z.infer<typeof oidcOptionsSchema>
