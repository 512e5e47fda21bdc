/**
 * `jwtVerify` with the signature checked on node:crypto (keys.ts) instead of WebCrypto. jose still
 * parses the header, picks the key (JWKS, `kid`, refetch on an unknown `kid`), and validates `crit`,
 * `b64` and the claims: after the signature holds, the same header (its `alg` set to `none`) and the
 * untouched payload segment go through jose's `UnsecuredJWT.decode`, which runs jose's own checks.
 * Failures are jose's error classes, so callers classify them as before.
 */
import {
  UnsecuredJWT,
  base64url,
  decodeProtectedHeader,
  errors,
  type CompactJWSHeaderParameters,
  type JWTClaimVerificationOptions,
  type JWTPayload,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose'
import { verificationKey, verifySignature } from './keys.js'

export interface JwsVerifyOptions extends JWTClaimVerificationOptions {
  algorithms: readonly string[]
}

export interface VerifiedJwt {
  payload: JWTPayload
  protectedHeader: ProtectedHeaderParameters
}

function decodeSignature(segment: string): Uint8Array {
  try {
    return base64url.decode(segment)
  } catch (cause) {
    throw new errors.JWSInvalid('Failed to base64url decode the signature', { cause })
  }
}

function headerOf(token: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(token)
  } catch (cause) {
    throw new errors.JWSInvalid('JWS Protected Header is invalid', { cause })
  }
}

export async function verifyJwtSignature(token: string, getKey: JWTVerifyGetKey, options: JwsVerifyOptions): Promise<VerifiedJwt> {
  const segments = token.split('.')
  if (segments.length !== 3) throw new errors.JWSInvalid('Invalid Compact JWS')
  const [encodedHeader, encodedPayload, encodedSignature] = segments as [string, string, string]
  const header = headerOf(token)
  const { alg } = header
  if (typeof alg !== 'string' || !alg) throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid')
  if (!options.algorithms.includes(alg)) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed')
  const key = verificationKey(await getKey(header as CompactJWSHeaderParameters, { protected: encodedHeader, payload: encodedPayload, signature: encodedSignature }), alg)
  if (!key) throw new errors.JWSInvalid('the selected key cannot verify this algorithm')
  if (!(await verifySignature(alg, key, `${encodedHeader}.${encodedPayload}`, decodeSignature(encodedSignature)))) {
    throw new errors.JWSSignatureVerificationFailed()
  }
  const unsecured = `${base64url.encode(JSON.stringify({ ...header, alg: 'none' }))}.${encodedPayload}.`
  return { payload: UnsecuredJWT.decode(unsecured, options).payload, protectedHeader: header }
}
