import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'

export async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' }
}

// Keycloak's certs also publish an encryption key; clients must filter on use === 'sig'.
export async function newEncryptionKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RSA-OAEP', { extractable: true })
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RSA-OAEP', use: 'enc' }
}

export interface SignAccessTokenOptions {
  /** seconds until expiry, default 300 (Keycloak's access token lifespan) */
  expiresIn?: number
  /** header typ, default 'JWT' like Keycloak */
  typ?: string
  /** sign with a throwaway key the realm does not publish */
  foreignKey?: boolean
  /** sign with the key the realm's next rotateKeys() publishes (not published until then) */
  upcomingKey?: boolean
}

/** A Keycloak-style access token: payload typ 'Bearer', header typ 'JWT'; claims override. */
export async function signWith(
  jwk: JWK,
  issuer: string,
  claims: Record<string, unknown>,
  opts: SignAccessTokenOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    iss: issuer,
    iat: now,
    exp: now + (opts.expiresIn ?? 300),
    jti: randomUUID(),
    typ: 'Bearer',
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: opts.typ ?? 'JWT' })
    .sign(await importJWK(jwk, 'RS256'))
}
