import { describe, expect, it } from '@jest/globals'
import { createSecretKey, generateKeyPairSync, sign, webcrypto } from 'node:crypto'
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
})
