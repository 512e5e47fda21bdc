/**
 * JWS signature checks on node:crypto. jose 6 verifies through WebCrypto, whose per-token work (key
 * normalisation, promise plumbing) held first-seen bearer tokens to jose's pace (issue 15);
 * node:crypto's `verify` on a `KeyObject` does the same check for about half the CPU. Keys still come from jose (JWKS fetch, `kid`/`alg` selection): each
 * CryptoKey it hands out is turned into a KeyObject once and remembered for as long as jose keeps it.
 */
import { KeyObject, constants, verify, type VerifyKeyObjectInput } from 'node:crypto'

interface Scheme {
  /** Digest for `crypto.verify`; null for EdDSA, whose curve fixes it. */
  digest: string | null
  /** `asymmetricKeyType`s a key for this algorithm may have. */
  keyTypes: readonly string[]
  /** Required `namedCurve` (ECDSA). */
  curve?: string
  /** Shortest accepted modulus (RSA). */
  minModulusLength?: number
  options: Omit<VerifyKeyObjectInput, 'key'>
}

/** RSA keys below this are refused, as jose does (RFC 7518 §3.3). */
const MIN_RSA_BITS = 2048

const rsa = (bits: number): Scheme => ({
  digest: `sha${bits}`,
  keyTypes: ['rsa'],
  minModulusLength: MIN_RSA_BITS,
  options: { padding: constants.RSA_PKCS1_PADDING },
})
// Salt length = digest length, as RFC 7518 §3.5 and WebCrypto (what jose checked before) require.
const pss = (bits: number): Scheme => ({
  digest: `sha${bits}`,
  keyTypes: ['rsa', 'rsa-pss'],
  minModulusLength: MIN_RSA_BITS,
  options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 },
})
// JWS carries ECDSA signatures as r||s (IEEE P1363), not DER.
const ecdsa = (bits: number, curve: string): Scheme => ({ digest: `sha${bits}`, keyTypes: ['ec'], curve, options: { dsaEncoding: 'ieee-p1363' } })

const SCHEMES: Record<string, Scheme> = {
  RS256: rsa(256),
  RS384: rsa(384),
  RS512: rsa(512),
  PS256: pss(256),
  PS384: pss(384),
  PS512: pss(512),
  ES256: ecdsa(256, 'prime256v1'),
  ES384: ecdsa(384, 'secp384r1'),
  ES512: ecdsa(512, 'secp521r1'),
  EdDSA: { digest: null, keyTypes: ['ed25519', 'ed448'], options: {} },
}

const keyObjects = new WeakMap<object, KeyObject>()

function toKeyObject(key: unknown): KeyObject | undefined {
  if (key instanceof KeyObject) return key
  if (!(key instanceof globalThis.CryptoKey)) return undefined
  let keyObject = keyObjects.get(key)
  // Stryker disable next-line ConditionalExpression: the memo only; KeyObject.from hands back the CryptoKey's own KeyObject again
  if (!keyObject) keyObjects.set(key, (keyObject = KeyObject.from(key)))
  return keyObject
}

function fits(key: KeyObject, scheme: Scheme): boolean {
  // A secret (HMAC) key never verifies an asymmetric algorithm: no HS/RS confusion.
  // Stryker disable next-line StringLiteral: a public key always has an asymmetricKeyType; the '' only satisfies the type
  if (key.type !== 'public' || !scheme.keyTypes.includes(key.asymmetricKeyType ?? '')) return false
  const details = key.asymmetricKeyDetails ?? {}
  // Only EC keys have a namedCurve, only ECDSA schemes a curve.
  if (details.namedCurve !== scheme.curve) return false
  return (details.modulusLength ?? 0) >= (scheme.minModulusLength ?? 0)
}

const fitting = new WeakMap<KeyObject, Set<string>>()

/**
 * The public KeyObject that verifies `alg`, from a CryptoKey (as jose's key sets return) or a
 * KeyObject; undefined when the key cannot serve that algorithm (secret, wrong type or curve, short RSA).
 */
export function verificationKey(key: unknown, alg: string): KeyObject | undefined {
  const scheme = SCHEMES[alg]
  const keyObject = toKeyObject(key)
  if (!scheme || !keyObject) return undefined
  let algs = fitting.get(keyObject)
  // Stryker disable next-line ConditionalExpression: the memo only; fits() gives the same answer again
  if (algs?.has(alg)) return keyObject
  if (!fits(keyObject, scheme)) return undefined
  // Stryker disable next-line ConditionalExpression: the memo only; a fresh set just forgets earlier algorithms
  if (!algs) fitting.set(keyObject, (algs = new Set()))
  algs.add(alg)
  return keyObject
}

/**
 * Resolves true when `signature` is `alg`'s signature of `signingInput` under `key` (from
 * `verificationKey`). The check runs on libuv's thread pool (crypto.verify with a callback): the
 * event loop only dispatches it, and a busy server uses its other cores for signatures. It costs
 * less CPU than WebCrypto's verify (bench/jose-raw.ts) and, unlike the synchronous form, does not
 * hold the event loop for 20-80 µs per first-seen token.
 */
export function verifySignature(alg: string, key: KeyObject, signingInput: string, signature: Uint8Array): Promise<boolean> {
  const scheme = SCHEMES[alg]
  // Stryker disable next-line ConditionalExpression: without it scheme.digest throws inside the try below, false as well
  if (!scheme) return Promise.resolve(false)
  return new Promise((resolve) => {
    try {
      // Malformed signatures (wrong length, bad encoding) make OpenSSL fail: a failed check, not an error.
      verify(scheme.digest, Buffer.from(signingInput), { key, ...scheme.options }, signature, (err, ok) => resolve(!err && ok))
    } catch {
      resolve(false)
    }
  })
}
