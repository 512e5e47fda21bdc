import { beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { SignJWT, base64url, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose'
import { verifyJwtSignature, type JwsVerifyOptions } from '../../../src/tokens/jws.js'
import { assertAsyncProperty } from '../../helpers/property.js'

const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const
type Alg = (typeof ALGS)[number]
const ISS = 'https://idp.example.com'
// A fixed clock: claims around it never straddle a second boundary between signing and checking.
const NOW = 1_900_000_000
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

interface Outcome {
  ok: boolean
  payload?: unknown
}
const outcome = (p: Promise<{ payload: unknown }>): Promise<Outcome> =>
  p.then(
    (r) => ({ ok: true, payload: r.payload }),
    () => ({ ok: false }),
  )

describe('verifyJwtSignature (node:crypto) against jose.jwtVerify (WebCrypto)', () => {
  const signers = new Map<string, CryptoKey>()
  let jwks: JWTVerifyGetKey
  beforeAll(async () => {
    const keys: JWK[] = []
    for (const alg of ALGS) {
      for (const n of [0, 1]) {
        const pair = await generateKeyPair(alg, { extractable: true })
        signers.set(`${alg}-${n}`, pair.privateKey)
        keys.push({ ...(await exportJWK(pair.publicKey)), kid: `${alg}-${n}`, alg, use: 'sig' })
      }
    }
    jwks = createLocalJWKSet({ keys })
  }, 60_000)

  const both = async (token: string, options: JwsVerifyOptions) => {
    const ours = await outcome(verifyJwtSignature(token, jwks, options))
    const jose = await outcome(jwtVerify(token, jwks, { ...options, algorithms: [...options.algorithms] }))
    return { ours, jose }
  }

  // Offsets stay 2 s clear of the 30 s tolerance, so both sides see the same side of every boundary.
  const offset = fc.oneof(fc.integer({ min: -300, max: -32 }), fc.integer({ min: -28, max: 28 }), fc.integer({ min: 32, max: 300 }))
  const claims = fc.record(
    {
      iss: fc.constantFrom(ISS, 'https://other.example.com', 42),
      sub: fc.oneof(fc.uuid(), fc.constant(7)),
      exp: offset.map((o) => NOW + o),
      nbf: offset.map((o) => NOW + o),
      aud: fc.oneof(fc.constant('gatehouse'), fc.array(fc.string(), { maxLength: 3 })),
      email: fc.emailAddress(),
      groups: fc.array(fc.string(), { maxLength: 4 }),
    },
    { requiredKeys: [] },
  )
  const token = fc.record({
    alg: fc.constantFrom(...ALGS),
    signer: fc.constantFrom(0, 1),
    // The kid names the signing key, or the other key of the same algorithm (a wrong key).
    kidOf: fc.constantFrom(0, 0, 0, 1),
    claims,
    allowed: fc.subarray([...ALGS], { minLength: 1 }),
  })
  const sign = async (t: { alg: Alg; signer: number; kidOf: number; claims: Record<string, unknown> }) =>
    new SignJWT(t.claims).setProtectedHeader({ alg: t.alg, kid: `${t.alg}-${t.kidOf}`, typ: 'JWT' }).sign(signers.get(`${t.alg}-${t.signer}`)!)
  const optionsOf = (allowed: readonly string[]): JwsVerifyOptions => ({
    algorithms: allowed,
    issuer: ISS,
    clockTolerance: 30,
    requiredClaims: ['exp', 'sub'],
    currentDate: new Date(NOW * 1000),
  })

  it('accepts exactly the tokens jose accepts, with the same payload', async () => {
    let accepted = 0
    await assertAsyncProperty(
      fc.asyncProperty(token, async (t) => {
        const { ours, jose } = await both(await sign(t), optionsOf(t.allowed))
        expect(ours).toEqual(jose)
        if (ours.ok) accepted++
      }),
      60,
    )
    // The generator must reach both answers, or the comparison proves nothing.
    expect(accepted).toBeGreaterThan(0)
  }, 60_000)

  const segment = fc.constantFrom(0, 1, 2)
  it('refuses, like jose, a token with any character of its header, payload or signature changed', async () => {
    await assertAsyncProperty(
      fc.asyncProperty(token, segment, fc.nat(), fc.constantFrom(...B64URL, '.', '=', '+', '/', ' ', 'é'), async (t, seg, at, ch) => {
        const good = { ...t, signer: 0, kidOf: 0, allowed: [...ALGS], claims: { iss: ISS, sub: 'u', exp: NOW + 60 } }
        const parts = (await sign(good)).split('.')
        const i = at % parts[seg]!.length
        if (parts[seg]![i] === ch) return
        const before = parts[seg]!
        parts[seg] = before.slice(0, i) + ch + before.slice(i + 1)
        const { ours, jose } = await both(parts.join('.'), optionsOf(ALGS))
        expect(ours.ok).toBe(jose.ok)
        // Only a change in the unused low bits of the last base64url character can leave the bytes, and the answer, as they were.
        const sameBytes = (() => {
          try {
            return Buffer.from(base64url.decode(parts[seg]!)).equals(Buffer.from(base64url.decode(before)))
          } catch {
            return false
          }
        })()
        if (!sameBytes) expect(ours.ok).toBe(false)
      }),
      150,
    )
  }, 60_000)

  it('refuses, like jose, a token whose header alg is swapped for another (none and HS256 included)', async () => {
    await assertAsyncProperty(
      fc.asyncProperty(token, fc.constantFrom(...ALGS, 'RS384', 'ES512', 'HS256', 'none', ''), async (t, swapped) => {
        if (swapped === t.alg) return
        const [, payload, signature] = (await sign({ ...t, signer: 0, kidOf: 0, claims: { iss: ISS, sub: 'u', exp: NOW + 60 } })).split('.')
        // The kid is moved along with the alg when such a key exists, so the JWKS hands out a key of the new type.
        const header = base64url.encode(JSON.stringify({ alg: swapped, kid: `${swapped}-0` }))
        const { ours, jose } = await both(`${header}.${payload}.${signature}`, optionsOf([...ALGS, 'HS256']))
        expect(ours).toEqual({ ok: false })
        expect(jose).toEqual({ ok: false })
      }),
      80,
    )
  }, 60_000)

  it('refuses crit and unencoded payloads (b64: false), and tokens that are not three segments', async () => {
    const parts = (await sign({ alg: 'ES256', signer: 0, kidOf: 0, claims: { iss: ISS, sub: 'u', exp: NOW + 60 } })).split('.')
    const header = (h: object) => base64url.encode(JSON.stringify({ alg: 'ES256', kid: 'ES256-0', ...h }))
    for (const h of [{ crit: ['exp'], exp: 1 }, { crit: ['b64'], b64: false }, { crit: [] }, { b64: 'no', crit: ['b64'] }]) {
      const { ours } = await both(`${header(h)}.${parts[1]}.${parts[2]}`, optionsOf(ALGS))
      expect(ours.ok).toBe(false)
    }
    for (const t of [parts.slice(0, 2).join('.'), [...parts, ''].join('.'), [...parts, 'x', 'y'].join('.'), '', '..']) {
      await expect(verifyJwtSignature(t, jwks, optionsOf(ALGS))).rejects.toThrow()
    }
  })
})

describe('verifyJwtSignature fails with jose\'s error for each bad part', () => {
  const ISS2 = 'https://idp.example.com'
  let jwks: JWTVerifyGetKey
  let good: string
  let rsaPublic: CryptoKey
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    const rsa = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 })
    rsaPublic = rsa.publicKey
    jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'ec', alg: 'ES256' }] })
    good = await new SignJWT({ sub: 'u', exp: 2_000_000_000 }).setProtectedHeader({ alg: 'ES256', kid: 'ec' }).setIssuer(ISS2).sign(pair.privateKey)
  }, 60_000)
  const options: JwsVerifyOptions = { algorithms: ['ES256'], issuer: ISS2, requiredClaims: ['exp', 'sub'], currentDate: new Date(1_900_000_000_000) }
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => ({ ok: true }),
      (err: Error & { code?: string }) => ({ name: err.name, code: err.code, message: err.message }),
    )
  const like = async (token: string) => {
    const ours = await failure(verifyJwtSignature(token, jwks, options))
    expect(ours).toEqual(await failure(jwtVerify(token, jwks, { ...options, algorithms: ['ES256'] })))
    return ours
  }
  const headerOf = (h: object) => base64url.encode(JSON.stringify(h))

  it('the same class, code and message as jwtVerify', async () => {
    const [, payload, signature] = good.split('.') as [string, string, string]
    expect(await like(good)).toEqual({ ok: true })
    expect(await like(`${good}.x`)).toMatchObject({ code: 'ERR_JWS_INVALID', message: 'Invalid Compact JWS' })
    expect(await like(`e30x.${payload}.${signature}`)).toMatchObject({ code: 'ERR_JWS_INVALID', message: 'JWS Protected Header is invalid' })
    expect(await like(`${headerOf({ kid: 'ec' })}.${payload}.${signature}`)).toMatchObject({
      code: 'ERR_JWS_INVALID',
      message: 'JWS "alg" (Algorithm) Header Parameter missing or invalid',
    })
    expect(await like(`${headerOf({ alg: 'ES384', kid: 'ec' })}.${payload}.${signature}`)).toMatchObject({
      code: 'ERR_JOSE_ALG_NOT_ALLOWED',
      message: '"alg" (Algorithm) Header Parameter value not allowed',
    })
    expect(await like(`${good.split('.').slice(0, 2).join('.')}.%%`)).toMatchObject({ code: 'ERR_JWS_INVALID', message: 'Failed to base64url decode the signature' })
    expect(await like(`${good.slice(0, -4)}AAAA`)).toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
  })

  it('a header alg that is not a non-empty string (absent, empty, null, a number, a boolean, an array, an object) is an invalid JWS, as in jwtVerify', async () => {
    const [, payload, signature] = good.split('.') as [string, string, string]
    const alg = fc.oneof(
      fc.constantFrom(undefined, '', null, ['ES256'], { alg: 'ES256' }),
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
    )
    await assertAsyncProperty(
      fc.asyncProperty(alg, async (a) => {
        const header = a === undefined ? { kid: 'ec' } : { alg: a, kid: 'ec' }
        expect(await like(`${headerOf(header)}.${payload}.${signature}`)).toMatchObject({
          code: 'ERR_JWS_INVALID',
          message: 'JWS "alg" (Algorithm) Header Parameter missing or invalid',
        })
      }),
      100,
    )
  })

  it('a key that cannot serve the algorithm is an invalid JWS, not a signature check', async () => {
    // A key source that hands out an RSA key for ES256 (a JWKS without alg/kty filtering could).
    const err = await failure(verifyJwtSignature(good, async () => rsaPublic, options))
    expect(err).toEqual({ name: 'JWSInvalid', code: 'ERR_JWS_INVALID', message: 'the selected key cannot verify this algorithm' })
  })

  it('keeps the decoding failure as the cause, and gives the key source the header and the token\'s parts', async () => {
    const [h, payload, signature] = good.split('.') as [string, string, string]
    await expect(verifyJwtSignature(`e30x.${payload}.${signature}`, jwks, options)).rejects.toMatchObject({ cause: expect.any(Error) })
    await expect(verifyJwtSignature(`${h}.${payload}.%%`, jwks, options)).rejects.toMatchObject({ cause: expect.any(Error) })
    const asked: unknown[] = []
    await verifyJwtSignature(good, async (header, token) => (asked.push(header, token), jwks(header, token)), options)
    expect(asked).toEqual([{ alg: 'ES256', kid: 'ec' }, { protected: h, payload, signature }])
  })

  it('checks the claims on the signed payload with the header as signed (alg passed through)', async () => {
    const { protectedHeader, payload } = await verifyJwtSignature(good, jwks, options)
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'ec' })
    expect(payload).toEqual({ sub: 'u', exp: 2_000_000_000, iss: ISS2 })
    await expect(verifyJwtSignature(good, jwks, { ...options, issuer: 'https://other.example' })).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' })
  })
})
