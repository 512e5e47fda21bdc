/**
 * JWT bearer checks on jose: the algorithm allowlist, exact `iss`, lifetime with a small skew,
 * the `typ` claim, and an audience rule that fits Keycloak access tokens (`aud` or `azp`).
 * security-lessons.md §4 lists the pitfalls each check answers.
 */
import { decodeJwt, errors, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { UpstreamIdpError } from '../errors.js'
import { verifyJwtSignature } from './jws.js'

/** Asymmetric algorithms only: never `none`, never HMAC (a public key must not become a secret). */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number]

/** The most a token's clock may be off; larger values would stretch every token's life. */
export const MAX_CLOCK_SKEW_SECONDS = 30

/** A token that must be answered with 401 `invalid_token`. `reason` is for logs, never for clients. */
export class InvalidTokenError extends Error {
  /** True when the same token may pass shortly (a new `kid` during the JWKS cooldown): not remembered. */
  readonly transient: boolean
  constructor(reason: string, transient = false) {
    super(reason)
    this.name = 'InvalidTokenError'
    this.transient = transient
  }
}

export interface JwtRules {
  /** Exact `iss` values (the issuer and, for Google, its scheme-less spelling). */
  issuers: readonly string[]
  /** Accept when `aud` contains one of these. */
  audiences: readonly string[]
  /** Accept when `azp` equals one of these (Keycloak access tokens often lack a useful `aud`). */
  authorizedParties: readonly string[]
  /** Required value of the payload `typ` claim (Keycloak: `Bearer`); undefined = not checked. */
  typ?: string
  algorithms: readonly JwtAlgorithm[]
  clockSkewSeconds: number
  /** Refuse ID tokens (see `looksLikeIdToken`); off only where ID tokens are the bearer tokens (Google). */
  refuseIdTokens?: boolean
}

const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt'])

/**
 * An ID token is proof of a login to one client, not a grant to call APIs; accepted as a bearer
 * token, one leaked from a browser or a log would open every app behind Gatehouse. A token is an
 * access token when its header says `typ: at+jwt` (RFC 9068); otherwise it is taken for an ID
 * token when its payload `typ` is `ID` (Keycloak) or it carries a claim only ID tokens carry:
 * `nonce`, `at_hash`, `c_hash`, `s_hash` (OIDC Core §2, §3.3.2.11). Keycloak access tokens
 * (payload `typ: Bearer`, no nonce since 24) and RFC 9068 tokens pass.
 */
export function looksLikeIdToken(header: { typ?: unknown }, payload: JWTPayload): boolean {
  if (typeof header.typ === 'string' && ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) return false
  if (typeof payload.typ === 'string' && payload.typ.toLowerCase() === 'id') return true
  return 'nonce' in payload || 'at_hash' in payload || 'c_hash' in payload || 's_hash' in payload
}

// Far above any real access token; bounds the work spent on garbage before any crypto.
const MAX_TOKEN_LENGTH = 16_384

/** The unverified `iss` of a compact JWS, used only to pick who verifies it. */
export function peekIssuer(token: string): string | undefined {
  // Stryker disable next-line ConditionalExpression: decodeJwt refuses other shapes too; this skips its work
  if (token.length > MAX_TOKEN_LENGTH || token.split('.', 4).length !== 3) return undefined
  try {
    const { iss } = decodeJwt(token)
    return typeof iss === 'string' ? iss : undefined
  }
  // On its own line before `catch`: Stryker reads a directive only as a leading comment of the node it disables.
  // Stryker disable next-line BlockStatement: an empty catch returns undefined as well
  catch {
    return undefined
  }
}

function audienceAccepted(payload: JWTPayload, rules: JwtRules): boolean {
  const aud = payload.aud
  // Stryker disable next-line ConditionalExpression,ArrayDeclaration: without an aud, [undefined] or any made-up entry matches no configured audience
  const audiences = Array.isArray(aud) ? aud : typeof aud === 'string' ? [aud] : []
  if (rules.audiences.length && audiences.some((a) => rules.audiences.includes(a))) return true
  // Stryker disable next-line ConditionalExpression: authorizedParties holds strings only, so a non-string azp is never included
  return typeof payload.azp === 'string' && rules.authorizedParties.includes(payload.azp)
}

function classify(err: unknown): Error {
  // Stryker disable next-line ConditionalExpression: an UpstreamIdpError is no JOSEError, so the last line returns it as well
  if (err instanceof UpstreamIdpError) return err
  if (err instanceof errors.JWKSTimeout) return new UpstreamIdpError('JWKS fetch timed out', { cause: err })
  if (err instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('no published key matches the token (kid)', true)
  if (err instanceof errors.JOSEError) return new InvalidTokenError(err.code)
  return err as Error
}

/** Verifies signature (node:crypto, see jws.ts), `iss`, `exp`/`nbf`, `typ` and audience; throws InvalidTokenError or UpstreamIdpError. */
export async function verifyJwt(token: string, getKey: JWTVerifyGetKey, rules: JwtRules): Promise<JWTPayload> {
  let payload: JWTPayload
  let header: { typ?: unknown }
  try {
    ;({ payload, protectedHeader: header } = await verifyJwtSignature(token, getKey, {
      issuer: [...rules.issuers],
      algorithms: rules.algorithms,
      clockTolerance: Math.min(rules.clockSkewSeconds, MAX_CLOCK_SKEW_SECONDS),
      requiredClaims: ['exp', 'sub'],
    }))
  } catch (err) {
    throw classify(err)
  }
  if (rules.typ !== undefined && payload.typ !== rules.typ) throw new InvalidTokenError('typ claim mismatch')
  if (rules.refuseIdTokens && looksLikeIdToken(header, payload)) throw new InvalidTokenError('an ID token is not a bearer token')
  if (!audienceAccepted(payload, rules)) throw new InvalidTokenError('neither aud nor azp is accepted')
  return payload
}
