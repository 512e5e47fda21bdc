/**
 * JWT bearer tokens for the OIDC-based providers and for `extraIssuers`: route on the unverified
 * `iss` (a foreign issuer is declined before any JWKS is touched), verify with the issuer's
 * cached JWKS, then map claims exactly as a login would. In the core because extra issuers use
 * it without any provider; providers get it through src/plugin.ts.
 */
import type { JWTVerifyGetKey } from 'jose'
import type { Identity } from '../plugin.js'
import { NotResponsible } from '../not-responsible.js'
import { peekIssuer, verifyJwt, type JwtRules } from './jwt.js'

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
