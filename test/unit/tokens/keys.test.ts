import { describe, expect, it } from '@jest/globals'
import { constants, createSecretKey, generateKeyPairSync, sign, webcrypto } from 'node:crypto'
import fc from 'fast-check'
import { verificationKey, verifySignature } from '../../../src/tokens/keys.js'
import { assertAsyncProperty } from '../../helpers/property.js'

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const ed = generateKeyPairSync('ed25519')

describe('verificationKey', () => {
  it('gives a key only to the algorithms it can serve', () => {
    expect(verificationKey(rsa2048.publicKey, 'RS256')).toBe(rsa2048.publicKey)
    expect(verificationKey(rsa2048.publicKey, 'PS512')).toBe(rsa2048.publicKey)
    expect(verificationKey(p256.publicKey, 'ES256')).toBe(p256.publicKey)
    expect(verificationKey(p384.publicKey, 'ES384')).toBe(p384.publicKey)
    expect(verificationKey(ed.publicKey, 'EdDSA')).toBe(ed.publicKey)
    // Wrong family, wrong curve, a short RSA modulus, a private or secret key, an unknown or HMAC alg.
    expect(verificationKey(p256.publicKey, 'RS256')).toBeUndefined()
    expect(verificationKey(rsa2048.publicKey, 'ES256')).toBeUndefined()
    expect(verificationKey(p384.publicKey, 'ES256')).toBeUndefined()
    expect(verificationKey(p256.publicKey, 'EdDSA')).toBeUndefined()
    expect(verificationKey(rsa1024.publicKey, 'RS256')).toBeUndefined()
    expect(verificationKey(rsa2048.privateKey, 'RS256')).toBeUndefined()
    expect(verificationKey(createSecretKey(Buffer.alloc(32)), 'HS256')).toBeUndefined()
    expect(verificationKey(createSecretKey(Buffer.alloc(32)), 'RS256')).toBeUndefined()
    expect(verificationKey(rsa2048.publicKey, 'none')).toBeUndefined()
    for (const notAKey of [undefined, null, 'key', new Uint8Array(32), { kty: 'RSA' }]) expect(verificationKey(notAKey, 'RS256')).toBeUndefined()
  })

  it('turns a CryptoKey into one KeyObject, remembered', async () => {
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const first = verificationKey(pair.publicKey, 'ES256')
    expect(first?.asymmetricKeyType).toBe('ec')
    expect(verificationKey(pair.publicKey, 'ES256')).toBe(first)
  })
})

describe('verifySignature', () => {
  const input = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0'
  const good = sign('sha256', Buffer.from(input), { key: p256.privateKey, dsaEncoding: 'ieee-p1363' })

  it('accepts the signature and refuses any other byte string, never rejecting', async () => {
    await expect(verifySignature('ES256', p256.publicKey, input, good)).resolves.toBe(true)
    await assertAsyncProperty(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        await expect(verifySignature('ES256', p256.publicKey, input, bytes)).resolves.toBe(Buffer.from(bytes).equals(good))
        await expect(verifySignature('RS256', rsa2048.publicKey, input, bytes)).resolves.toBe(false)
      }),
      200,
    )
  })

  it('refuses a DER-encoded ECDSA signature and an unknown algorithm', async () => {
    const der = sign('sha256', Buffer.from(input), p256.privateKey)
    await expect(verifySignature('ES256', p256.publicKey, input, der)).resolves.toBe(false)
    await expect(verifySignature('HS256', p256.publicKey, input, good)).resolves.toBe(false)
  })

  it('a key node:crypto cannot verify with (a secret, thrown at once) is a failed check, not an error', async () => {
    await expect(verifySignature('ES256', createSecretKey(Buffer.alloc(32)), input, good)).resolves.toBe(false)
  })
})

describe('verifySignature for every JWS algorithm', () => {
  const input = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0'
  const data = Buffer.from(input)
  const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
  const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' })
  const ed448 = generateKeyPairSync('ed448')
  // How RFC 7518 signs each: PKCS#1 v1.5, PSS with a salt as long as the digest, ECDSA as r||s, EdDSA.
  const cases = [
    { alg: 'RS256', pair: rsa2048, sign: (k: typeof rsa2048.privateKey) => sign('sha256', data, k) },
    { alg: 'RS384', pair: rsa2048, sign: (k: typeof rsa2048.privateKey) => sign('sha384', data, k) },
    { alg: 'RS512', pair: rsa2048, sign: (k: typeof rsa2048.privateKey) => sign('sha512', data, k) },
    ...([256, 384, 512] as const).flatMap((bits) =>
      [rsa2048, rsaPss].map((pair) => ({
        alg: `PS${bits}`,
        pair,
        sign: (k: typeof rsa2048.privateKey) => sign(`sha${bits}`, data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 }),
      })),
    ),
    { alg: 'ES256', pair: p256, sign: (k: typeof rsa2048.privateKey) => sign('sha256', data, { key: k, dsaEncoding: 'ieee-p1363' }) },
    { alg: 'ES384', pair: p384, sign: (k: typeof rsa2048.privateKey) => sign('sha384', data, { key: k, dsaEncoding: 'ieee-p1363' }) },
    { alg: 'ES512', pair: p521, sign: (k: typeof rsa2048.privateKey) => sign('sha512', data, { key: k, dsaEncoding: 'ieee-p1363' }) },
    { alg: 'EdDSA', pair: ed, sign: (k: typeof rsa2048.privateKey) => sign(null, data, k) },
    { alg: 'EdDSA', pair: ed448, sign: (k: typeof rsa2048.privateKey) => sign(null, data, k) },
  ]

  it.each(cases.map((c) => [c.alg, c.pair.publicKey.asymmetricKeyType, c] as const))('%s with an %s key: its signature verifies, a changed input or another algorithm does not', async (alg, _type, c) => {
    const key = verificationKey(c.pair.publicKey, alg)
    expect(key).toBe(c.pair.publicKey)
    const signature = c.sign(c.pair.privateKey)
    await expect(verifySignature(alg, key!, input, signature)).resolves.toBe(true)
    await expect(verifySignature(alg, key!, input + 'x', signature)).resolves.toBe(false)
    // Only algorithms verificationKey gives this key to: verifySignature trusts that choice (with a null digest an RSA
    // key would check SHA-256, and an RSA-PSS key keeps PSS whatever the padding asked).
    const others = cases.filter((o) => o.alg !== alg && verificationKey(c.pair.publicKey, o.alg))
    for (const other of others) await expect(verifySignature(other.alg, key!, input, signature)).resolves.toBe(false)
  })

  it('PS* takes only the digest-length salt (RFC 7518 §3.5), not the longest one OpenSSL would use', async () => {
    const longSalt = sign('sha256', data, { key: rsa2048.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN })
    await expect(verifySignature('PS256', rsa2048.publicKey, input, longSalt)).resolves.toBe(false)
  })

  it('an RSA-PSS key serves PS* only, at 2048 bits or more; Ed448 and P-521 keys their own algorithm only', () => {
    expect(verificationKey(rsaPss.publicKey, 'RS256')).toBeUndefined()
    expect(verificationKey(generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).publicKey, 'PS256')).toBeUndefined()
    expect(verificationKey(ed448.publicKey, 'ES512')).toBeUndefined()
    expect(verificationKey(p521.publicKey, 'ES384')).toBeUndefined()
    expect(verificationKey(p521.publicKey, 'EdDSA')).toBeUndefined()
  })

  it('a key that served one algorithm is still refused for another (the answer is kept per algorithm)', () => {
    expect(verificationKey(p256.publicKey, 'ES256')).toBe(p256.publicKey)
    expect(verificationKey(p256.publicKey, 'ES384')).toBeUndefined()
    expect(verificationKey(rsa2048.publicKey, 'RS256')).toBe(rsa2048.publicKey)
    expect(verificationKey(rsa2048.publicKey, 'ES256')).toBeUndefined()
    expect(verificationKey(rsa2048.publicKey, 'RS256')).toBe(rsa2048.publicKey)
  })
})
