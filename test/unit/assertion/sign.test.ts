import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { ephemeralKeySet } from '../../../src/assertion/keys.js'
import { createSigner } from '../../../src/assertion/sign.js'
import { identity } from '../../helpers/session.js'

const keys = ephemeralKeySet()
const jwks = createLocalJWKSet({ keys: [...keys.published] })
const ISS = 'https://auth.example.com'
const signer = () => createSigner({ header: 'X-Gatehouse-Assertion', ttlSeconds: 60, keys }, ISS, 100)

afterEach(() => {
  jest.useRealTimers()
})

describe('identity assertion signer', () => {
  it('signs iss, aud, sub, email, preferred_username, groups, iat and exp = iat + ttl', async () => {
    const alice = identity()
    const jwt = await signer().assertion('session-1', 'grafana.example.com', alice)
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { issuer: ISS, audience: 'grafana.example.com' })
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: keys.signing.kid, typ: 'JWT' })
    expect(payload).toEqual({
      iss: ISS,
      aud: 'grafana.example.com',
      sub: alice.subject,
      email: alice.email,
      preferred_username: alice.preferredUsername,
      groups: alice.groups,
      iat: payload.iat,
      exp: payload.iat! + 60,
    })
  })

  it('never outlives the identity', async () => {
    const short = identity({ expiresAt: Math.floor(Date.now() / 1000) + 5 })
    const payload = decodeJwt(await signer().assertion('s', 'a.example', short))
    expect(payload.exp).toBe(short.expiresAt)
  })

  it('reuses one signature per credential and audience until half its life has passed', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-02T00:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
    const s = signer()
    const alice = identity({ expiresAt: Math.floor(Date.now() / 1000) + 3600 })
    const first = await s.assertion('session-1', 'a.example', alice)
    expect(s.assertion('session-1', 'a.example', alice)).toBe(first) // a string: no signing, no promise
    expect(await s.assertion('session-1', 'b.example', alice)).not.toBe(first)
    expect(await s.assertion('session-2', 'a.example', alice)).not.toBe(first)
    // a refreshed session is a new identity object: signed again, its claims may differ
    expect(await s.assertion('session-1', 'a.example', { ...alice, groups: ['other'] })).not.toBe(first)
    const again = await s.assertion('session-1', 'a.example', alice)
    jest.setSystemTime(Date.now() + 29_000)
    expect(s.assertion('session-1', 'a.example', alice)).toBe(again)
    jest.setSystemTime(Date.now() + 1_000)
    const renewed = await s.assertion('session-1', 'a.example', alice)
    expect(renewed).not.toBe(again)
    expect(decodeJwt(renewed).iat).toBe(decodeJwt(again).iat! + 30)
  })
})
