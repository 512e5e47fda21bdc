import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { ephemeralKeySet } from '../../../src/assertion/keys.js'
import { createSigner } from '../../../src/assertion/sign.js'
import { identity } from '../../helpers/session.js'

const keys = ephemeralKeySet()
const jwks = createLocalJWKSet({ keys: [...keys.published] })
const ISS = 'https://auth.example.com'
const signer = () => createSigner({ header: 'X-Gatehouse-Assertion', ttlSeconds: 60, keys }, ISS)

afterEach(() => {
  jest.useRealTimers()
})

describe('identity assertion signer', () => {
  it('signs iss, aud, sub, email, preferred_username, groups, iat and exp = iat + ttl', async () => {
    const alice = identity()
    const jwt = await signer().assertion(alice, 'grafana.example.com')
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
    const payload = decodeJwt(await signer().assertion(short, 'a.example'))
    expect(payload.exp).toBe(short.expiresAt)
  })

  it('reuses one signature per identity (cached session or token) and audience until half its life has passed', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-02T00:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
    const s = signer()
    const alice = identity({ expiresAt: Math.floor(Date.now() / 1000) + 3600 })
    const first = await s.assertion(alice, 'a.example')
    expect(s.assertion(alice, 'a.example')).toBe(first) // a string: no signing, no promise
    expect(await s.assertion(alice, 'b.example')).not.toBe(first)
    expect(s.assertion(alice, 'a.example')).toBe(first)
    // another session, or a refreshed one (a new identity object, its claims may differ): signed anew
    const refreshed = { ...alice, groups: ['other'] }
    const other = await s.assertion(refreshed, 'a.example')
    expect(decodeJwt(other).groups).toEqual(['other'])
    jest.setSystemTime(Date.now() + 29_000)
    expect(s.assertion(alice, 'a.example')).toBe(first)
    jest.setSystemTime(Date.now() + 1_000)
    const renewed = await s.assertion(alice, 'a.example')
    expect(renewed).not.toBe(first)
    expect(decodeJwt(renewed).iat).toBe(decodeJwt(first).iat! + 30)
    expect(s.assertion(alice, 'a.example')).toBe(renewed)
  })

  it('remembers a bounded number of audiences per identity, the least recently signed dropped first', async () => {
    const s = signer()
    const alice = identity()
    const hosts = Array.from({ length: 17 }, (_, i) => `app${i}.example`)
    for (const h of hosts) await s.assertion(alice, h)
    expect(s.assertion(alice, hosts[0]!)).toBeInstanceOf(Promise) // evicted: signed again
    expect(typeof s.assertion(alice, hosts[16]!)).toBe('string')
  })
})
