import { beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { SignJWT, createLocalJWKSet, errors, exportJWK, generateKeyPair, type CryptoKey, type JWTVerifyGetKey } from 'jose'
import { UpstreamIdpError } from '../../../src/errors.js'
import { InvalidTokenError, looksLikeIdToken, peekIssuer, verifyJwt, type JwtRules } from '../../../src/tokens/jwt.js'
import { checkProperty } from '../../helpers/property.js'

const ISS = 'https://idp.example.com'
const rules: JwtRules = { issuers: [ISS], audiences: ['gatehouse'], authorizedParties: ['gatehouse'], algorithms: ['RS256'], clockSkewSeconds: 30, refuseIdTokens: true }

const headerTyp = fc.constantFrom(undefined, 'JWT', 'at+jwt', 'AT+JWT', 'application/at+jwt', 'id+jwt')
const payloadTyp = fc.constantFrom(undefined, 'Bearer', 'ID', 'id', 'Refresh')
const idOnly = fc.subarray(['nonce', 'at_hash', 'c_hash', 's_hash'])

/** The documented rule, independently: RFC 9068 header wins; else payload typ ID or an ID-token-only claim. */
const isIdToken = (h: string | undefined, p: string | undefined, claims: string[]) =>
  !(h !== undefined && ['at+jwt', 'application/at+jwt'].includes(h.toLowerCase())) && (p?.toLowerCase() === 'id' || claims.length > 0)

describe('looksLikeIdToken', () => {
  it('follows the documented rule for every combination', () => {
    checkProperty(
      fc.property(headerTyp, payloadTyp, idOnly, (h, p, claims) => {
        const payload: Record<string, unknown> = Object.fromEntries(claims.map((c) => [c, 'x']))
        if (p !== undefined) payload.typ = p
        expect(looksLikeIdToken(h === undefined ? {} : { typ: h }, payload)).toBe(isIdToken(h, p, claims))
      }),
    )
  })
})

describe('verifyJwt with refuseIdTokens', () => {
  let key: CryptoKey
  let jwks: JWTVerifyGetKey
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256')
    key = pair.privateKey
    jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] })
  })
  const sign = (claims: Record<string, unknown>, typ = 'JWT') => {
    const t = Math.floor(Date.now() / 1000)
    return new SignJWT({ iss: ISS, sub: 'u1', aud: 'gatehouse', iat: t, exp: t + 300, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1', typ }).sign(key)
  }

  it('refuses an ID token for our own client, and accepts access tokens', async () => {
    await expect(verifyJwt(await sign({ nonce: 'n', at_hash: 'h', azp: 'gatehouse' }), jwks, rules)).rejects.toThrow(InvalidTokenError)
    await expect(verifyJwt(await sign({ typ: 'ID', azp: 'gatehouse' }), jwks, rules)).rejects.toThrow('an ID token is not a bearer token')
    await expect(verifyJwt(await sign({ typ: 'Bearer', azp: 'gatehouse' }), jwks, rules)).resolves.toMatchObject({ sub: 'u1' })
    await expect(verifyJwt(await sign({ scope: 'read', client_id: 'x' }, 'at+jwt'), jwks, rules)).resolves.toMatchObject({ sub: 'u1' })
  })

  it('accepts ID tokens where the rules allow them (Google)', async () => {
    await expect(verifyJwt(await sign({ nonce: 'n', at_hash: 'h' }), jwks, { ...rules, refuseIdTokens: false })).resolves.toMatchObject({ sub: 'u1' })
  })
})

describe('verifyJwt answers', () => {
  let key: CryptoKey
  let jwks: JWTVerifyGetKey
  const plain: JwtRules = { issuers: [ISS], audiences: ['gatehouse'], authorizedParties: ['web'], algorithms: ['RS256'], clockSkewSeconds: 30 }
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256')
    key = pair.privateKey
    jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] })
  })
  const now = () => Math.floor(Date.now() / 1000)
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ iss: ISS, sub: 'u1', aud: 'gatehouse', exp: now() + 300, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key)
  const failure = async (token: string, rules: JwtRules = plain, getKey: JWTVerifyGetKey = jwks) =>
    verifyJwt(token, getKey, rules).then(
      () => undefined,
      (e: unknown) => e as Error,
    )

  it('a refused token is remembered as refused (not transient): bad signature, expired, wrong issuer', async () => {
    const good = await sign({})
    const tampered = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    for (const token of [tampered, await sign({ exp: now() - 100 }), await sign({ iss: 'https://other.example.com' })]) {
      const err = await failure(token)
      expect(err).toBeInstanceOf(InvalidTokenError)
      expect((err as InvalidTokenError).transient).toBe(false)
      expect(err!.name).toBe('InvalidTokenError')
    }
    const noKey = await failure(await sign({}), plain, async () => {
      throw new errors.JWKSNoMatchingKey()
    })
    expect(noKey).toMatchObject({ transient: true, message: expect.stringMatching(/kid/) })
  })

  it('a key set that cannot be fetched in time is the IdP\'s failure (503), not the token\'s (401)', async () => {
    const timeout: JWTVerifyGetKey = async () => {
      throw new errors.JWKSTimeout()
    }
    const err = await failure(await sign({}), plain, timeout)
    expect(err).toBeInstanceOf(UpstreamIdpError)
    expect(err!.message).toMatch(/JWKS/)
    expect(err!.cause).toBeInstanceOf(errors.JWKSTimeout)
    const upstream = new UpstreamIdpError('jwks down')
    expect(await failure(await sign({}), plain, async () => Promise.reject(upstream))).toBe(upstream)
    const other = new TypeError('boom')
    expect(await failure(await sign({}), plain, async () => Promise.reject(other))).toBe(other)
  })

  it('never stretches the clock skew beyond 30 s', async () => {
    const generous = { ...plain, clockSkewSeconds: 600 }
    expect(await failure(await sign({ exp: now() - 45 }), generous)).toBeInstanceOf(InvalidTokenError)
    expect(await failure(await sign({ exp: now() - 10 }), generous)).toBeUndefined()
    expect(await failure(await sign({ exp: now() - 10 }), { ...plain, clockSkewSeconds: 0 })).toBeInstanceOf(InvalidTokenError)
  })

  it('requires exp and sub', async () => {
    expect(await failure(await sign({ exp: undefined }))).toBeInstanceOf(InvalidTokenError)
    expect(await failure(await sign({ sub: undefined }))).toBeInstanceOf(InvalidTokenError)
  })

  it('accepts a listed audience as a string or in a list, or a listed azp; nothing else', async () => {
    expect(await failure(await sign({ aud: 'gatehouse' }))).toBeUndefined()
    expect(await failure(await sign({ aud: ['x', 'gatehouse'] }))).toBeUndefined()
    expect(await failure(await sign({ aud: 'x', azp: 'web' }))).toBeUndefined()
    expect(await failure(await sign({ aud: undefined, azp: 'web' }))).toBeUndefined()
    expect(await failure(await sign({ aud: 'x', azp: 'gatehouse' }))).toBeInstanceOf(InvalidTokenError)
    expect(await failure(await sign({ aud: undefined, azp: ['web'] }))).toBeInstanceOf(InvalidTokenError)
    expect(await failure(await sign({ aud: undefined }))).toMatchObject({ message: expect.stringMatching(/aud/) })
    expect(await failure(await sign({ aud: 'web' }), { ...plain, audiences: [] })).toBeInstanceOf(InvalidTokenError)
  })

  it('checks the typ claim only when the rules name one', async () => {
    expect(await failure(await sign({ typ: 'Whatever' }))).toBeUndefined()
    expect(await failure(await sign({ typ: 'Bearer' }), { ...plain, typ: 'Bearer' })).toBeUndefined()
    expect(await failure(await sign({}), { ...plain, typ: 'Bearer' })).toMatchObject({ message: expect.stringMatching(/typ/) })
  })

  it('does not refuse ID-token-looking tokens unless asked to', async () => {
    expect(await failure(await sign({ nonce: 'n' }))).toBeUndefined()
  })

  it('peekIssuer: a string iss only, from tokens of at most 16 KiB', async () => {
    expect(peekIssuer(await sign({ iss: 42 }))).toBeUndefined()
    const padded = await sign({ pad: 'x'.repeat(11_800) })
    expect(padded.length).toBeLessThanOrEqual(16_384)
    expect(peekIssuer(padded)).toBe(ISS)
    expect(peekIssuer((await sign({})) + 'x'.repeat(16_384))).toBeUndefined()
    expect(peekIssuer('a.b.c')).toBeUndefined()
    const token = await sign({})
    expect(peekIssuer(token + 'x'.repeat(16_384 - token.length))).toBe(ISS)
  })
})
