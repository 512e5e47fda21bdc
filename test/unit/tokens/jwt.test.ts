import { beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey, type JWTVerifyGetKey } from 'jose'
import { InvalidTokenError, looksLikeIdToken, verifyJwt, type JwtRules } from '../../../src/tokens/jwt.js'
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
