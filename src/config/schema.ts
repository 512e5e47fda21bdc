/**
 * The configuration file's shape. Each option carries its default and its documentation here;
 * README's configuration reference mirrors this file.
 */
import { z } from 'zod'
import { parseDuration } from './duration.js'
import { defaultRuleSchema, rulesSchema } from '../rules/schema.js'
import { JWT_ALGORITHMS } from '../tokens/jwt.js'
import { sessionSchema } from './session.js'
import { uiSchema } from './ui.js'

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => parseDuration(v) !== undefined, 'must be a duration such as "15m" or "168h"')

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'must be "host:port", e.g. "0.0.0.0:4180"')

const httpUrl = z.string().refine((v) => {
  try {
    const u = new URL(v)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}, 'must be an absolute http(s) URL')

const stringList = z.array(z.string().min(1)).default([])

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a header name (letters, digits and !#$%&\'*+.^_`|~-)')

/** 1 to 4 visible ASCII characters or spaces: a separator must never make a header value unsafe. */
const headerSeparator = z.string().regex(/^[\x20-\x7e]{1,4}$/, 'must be 1 to 4 visible ASCII characters or spaces')

export const HEADER_PRESETS = ['xauthrequest', 'forwarded'] as const
export const HEADER_FIELDS = ['user', 'subject', 'email', 'preferred_username', 'groups', 'roles', 'provider', 'access_token'] as const

const customHeaderSchema = z
  .object({
    name: headerName,
    /** The identity field; `groups` and `roles` are lists, `access_token` the session's (kept fresh by refresh). */
    field: z.enum(HEADER_FIELDS),
    /** For lists: default `headers.separator`. */
    separator: headerSeparator.optional(),
  })
  .strict()

const assertionSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** The request header carrying the JWT. */
    header: headerName.default('X-Gatehouse-Assertion'),
    /** Lifetime of each assertion; a cached one is reused until half of it has passed. */
    ttl: duration('60s').refine((v) => {
      const s = parseDuration(v) ?? 0
      return s >= 10 && s <= 3600
    }, 'must be between 10s and 1h'),
    /**
     * Signing keys, PEM (PKCS#8 private / SPKI public) or JWK files: the first signs (a private
     * EC P-256 key: ES256, Ed25519: EdDSA), all are published. Empty: one key generated at start.
     */
    keys: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .prefault({})

/** Allow-lists; every non-empty list must be satisfied (lists are ANDed, entries within ORed). */
export const authorizationSchema = z
  .object({
    /** Verified email domains (`example.com`); `*` allows any verified email. */
    emailDomains: stringList,
    /** Exact verified email addresses; matching one satisfies the email check like a domain does. */
    emails: stringList,
    /** Any one of these groups is required. */
    groups: stringList,
    /** Any one of these roles (Keycloak realm role, or `client:role`) is required. */
    roles: stringList,
  })
  .strict()
  .default({ emailDomains: [], emails: [], groups: [], roles: [] })

export const providerEntrySchema = z
  .object({
    /** Unique id, used in `/oauth2/start?provider=<id>` and metrics labels. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must match [a-z0-9][a-z0-9_-]{0,31}'),
    /** A built-in type (keycloak, oidc, google, github), an npm package or `./path/to/plugin.js`. */
    type: z.string().min(1),
    /** Button label on the sign-in page. */
    displayName: z.string().min(1).optional(),
    /** Extra allow-lists for users who logged in through this provider (ANDed with the global ones). */
    authorization: authorizationSchema.optional(),
  })
  .passthrough()

/** A token issuer that is not a login provider: its JWTs are accepted as bearer tokens only. */
export const extraIssuerSchema = z
  .object({
    /** Used as the identity's provider, in metrics labels and for per-issuer authorization. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must match [a-z0-9][a-z0-9_-]{0,31}'),
    /** Exact `iss` value. */
    issuer: httpUrl,
    /** The key set; without it, `jwks_uri` from the issuer's discovery document. */
    jwksUrl: httpUrl.optional(),
    /** Accept tokens whose `aud` contains one of these. */
    audiences: stringList,
    /** Accept tokens whose `azp` is one of these (Keycloak access tokens). */
    authorizedParties: stringList,
    /** Required payload `typ` claim (`Bearer` for Keycloak access tokens). */
    typ: z.string().min(1).optional(),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256']),
    /** Tolerated clock difference on `nbf`/`iat`, at most 30s. */
    clockSkew: duration('30s').refine((v) => (parseDuration(v) ?? 0) <= 30, 'must be at most 30s'),
    /** Minimum time between JWKS fetches caused by unknown `kid`s. */
    jwksCooldown: duration('5s'),
    userClaim: z.string().default('sub'),
    emailClaim: z.string().default('email'),
    groupsClaim: z.string().default('groups'),
    /** Extra allow-lists for this issuer's tokens (ANDed with the global ones). */
    authorization: authorizationSchema.optional(),
    /** Allow plain-http issuer and JWKS URLs. For local tests only. */
    allowInsecureRequests: z.boolean().default(false),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (!o.audiences.length && !o.authorizedParties.length) {
      ctx.addIssue({ code: 'custom', path: ['audiences'], message: 'set audiences or authorizedParties: otherwise any token of the issuer would pass' })
    }
    if (o.allowInsecureRequests) return
    for (const key of ['issuer', 'jwksUrl'] as const) {
      if (o[key]?.startsWith('http:')) ctx.addIssue({ code: 'custom', path: [key], message: 'must be https (set allowInsecureRequests only for local tests)' })
    }
  })

export const configSchema = z
  .object({
    server: z
      .object({
        /** Address of the main listener. */
        listen: listen.default('0.0.0.0:4180'),
        /** The URL browsers use to reach Gatehouse; every Location and the callback derive from it. */
        publicUrl: httpUrl,
        /**
         * Peers whose X-Forwarded-* / X-Original-* headers are believed. Default: loopback only.
         * Requests from other peers are judged as they arrive, never by forwarded headers.
         */
        trustedProxies: z.array(z.string()).default(['127.0.0.1/32', '::1/128']),
        /**
         * Prepend X-Forwarded-Prefix to X-Forwarded-Uri on /oauth2/forward-auth. Only for a Traefik
         * that sets it (StripPrefix before ForwardAuth); Caddy passes a client's copy through.
         */
        trustForwardedPrefix: z.boolean().default(false),
        /**
         * For tests only: name the matched rule in an `X-Gatehouse-Rule` response header on the
         * verify endpoints and upstream denies. Tells anyone who asks how the rules are laid out.
         */
        debugRuleHeader: z.boolean().default(false),
        /** Node's keep-alive timeout; keep it above the proxy's idle timeout. */
        keepAliveTimeout: duration('65s'),
        /** Time a client has to send a request's headers; a slow-headers client is cut off after it. */
        headersTimeout: duration('10s'),
        /** Time a client has to send a whole request (headers and body); at least headersTimeout. */
        requestTimeout: duration('30s'),
        /** Open connections per process beyond which new ones are refused; 0 = no cap. */
        maxConnections: z.number().int().min(0).default(10_000),
        /** Worker processes (node:cluster); 1 = single process, 0 = one per CPU. */
        workers: z.number().int().min(0).max(256).default(1),
        /**
         * After SIGTERM/SIGINT: stop accepting, answer in-flight requests, then exit; connections still busy after
         * this long are cut. Keep it below the orchestrator's kill timeout (Kubernetes terminationGracePeriodSeconds).
         */
        shutdownGracePeriod: duration('10s'),
        /**
         * After SIGTERM/SIGINT and before the drain: keep serving (new connections too) this long, with /ready
         * answering 503 and every answer `Connection: close`, for a balancer to stop sending here. Set it to the
         * time yours needs (Kubernetes: endpoint removal, a few seconds); 0 = drain at once.
         */
        shutdownDelay: duration('0s'),
      })
      .strict(),
    cookie: z
      .object({
        /**
         * Session cookie name. Default `__Host-_gatehouse` for a secure cookie without a domain,
         * `__Secure-_gatehouse` with `domains`, `_gatehouse` when not secure (an http publicUrl).
         */
        name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a plain cookie token').optional(),
        /** 32 random bytes, base64 or base64url (`openssl rand -base64 32`). */
        secret: z.string(),
        /** Old secrets that still decrypt, for rotation without logging everyone out. */
        previousSecrets: z.array(z.string()).default([]),
        /** Cookie domains (`.example.com`); empty = host-only cookie on the public URL's host. */
        domains: z.array(z.string()).default([]),
        /** Defaults to true unless publicUrl is http. */
        secure: z.boolean().optional(),
        sameSite: z.enum(['lax', 'strict', 'none']).default('lax'),
        /** Absolute session lifetime. */
        expire: duration('168h'),
        /** Lifetime of a login flow's state cookie. */
        csrfExpire: duration('15m'),
      })
      .strict(),
    /** Session store, refresh interval and Redis connection (src/config/session.ts). */
    session: sessionSchema,
    redirect: z
      .object({
        /** Hosts `rd` may point to: `example.com` exact, `.example.com` apex and subdomains, `host:*` any port. */
        allowedDomains: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ allowedDomains: [] }),
    providers: z.array(providerEntrySchema).min(1, 'at least one provider is required'),
    authorization: authorizationSchema,
    headers: z
      .object({
        /** Also send X-Auth-Request-Access-Token on allow. */
        passAccessToken: z.boolean().default(false),
        /** Also send `Authorization: Bearer <access token>` on allow. */
        passAuthorization: z.boolean().default(false),
        /** Fill X-Auth-Request-Roles (realm roles, `client:role` client roles); empty when false. */
        roles: z.boolean().default(false),
        /**
         * Identity-like request headers besides `X-Auth-Request-*`, appended to the built-in list
         * (DEFAULT_IDENTITY_LIKE in src/headers/strip.ts: X-Forwarded-User/-Email/-Groups/
         * -Preferred-Username/-Access-Token, X-Remote-User/-Email/-Groups, X-WEBAUTH-USER/-EMAIL/-NAME,
         * X-Authenticated-User, X-User, X-Email, Remote-User/-Email/-Groups/-Name, Gap-Auth,
         * Gap-Signature). Any case, `_` or `.` for `-`. The verify endpoints refuse a request carrying
         * one; upstream mode strips them.
         */
        identityLike: z.array(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a header name')).default([]),
        /**
         * Header sets sent on allow (src/headers/mapping.ts): `xauthrequest` (X-Auth-Request-*, as
         * oauth2-proxy's set_xauthrequest) and/or `forwarded` (X-Forwarded-User/-Email/-Groups/
         * -Preferred-Username, as its pass_user_headers). With passAccessToken each adds its -Access-Token.
         */
        presets: z.array(z.enum(HEADER_PRESETS)).default(['xauthrequest']),
        /** How the presets join groups and roles; a group containing it is left out. */
        separator: headerSeparator.default(','),
        /** More headers: `{ name: X-WEBAUTH-USER, field: preferred_username }`; lists joined by `separator`. */
        custom: z.array(customHeaderSchema).default([]),
        /** The signed identity assertion (src/assertion/): off unless `enabled`. */
        assertion: assertionSchema,
      })
      .strict()
      .prefault({}),
    cache: z
      .object({
        /** Upper bound on cached sessions and verified tokens (each). */
        maxEntries: z.number().int().min(1).default(100_000),
        /** Upper bound on any cache entry's life (never beyond the token's or session's own expiry). */
        maxTtl: duration('5m'),
        /** Upper bound on cached bearer tokens; default: maxEntries. */
        bearerMaxEntries: z.number().int().min(1).optional(),
        /** How long a rejected bearer token is remembered (bounded, never as a success); 0 disables. */
        negativeTtl: duration('5s').refine((v) => (parseDuration(v) ?? 0) <= 60, 'must be at most 60s'),
      })
      .strict()
      .default({ maxEntries: 100_000, maxTtl: '5m', negativeTtl: '5s' }),
    /** Issuers whose JWTs are accepted as bearer tokens without being login providers. */
    extraIssuers: z.array(extraIssuerSchema).default([]),
    /** Access rules by host, path and method; top to bottom, the first match wins (src/rules/). */
    rules: rulesSchema,
    /** The action when no rule matches; default `allow: authenticated`. */
    defaultRule: defaultRuleSchema,
    /** Reverse-proxy mode: everything but Gatehouse's own paths goes here after the decision. */
    upstream: httpUrl.optional(),
    metrics: z
      .object({
        listen: listen.optional(),
        /**
         * Also serve /metrics on the main listener. Default: true in forward-auth mode without
         * `listen`; false in upstream mode, where the main listener is the public entrance.
         */
        onMainListener: z.boolean().optional(),
      })
      .strict()
      .default({}),
    logging: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** `json`: one JSON object a line (collectors); `pretty`: `time LEVEL message key=value` (terminals). */
        format: z.enum(['json', 'pretty']).default('json'),
        /** One line per access decision: endpoint, result, rule, provider, latency, request id. */
        accessLog: z.boolean().default(false),
        /** Also put the user's email in access-log lines (personal data: off by default). */
        accessLogEmail: z.boolean().default(false),
      })
      .strict()
      .default({ level: 'info', format: 'json', accessLog: false, accessLogEmail: false }),
    /** Branding of Gatehouse's own pages (src/config/ui.ts). */
    ui: uiSchema,
  })
  .strict()

export type RawConfig = z.infer<typeof configSchema>
export type AuthorizationConfig = z.infer<typeof authorizationSchema>
