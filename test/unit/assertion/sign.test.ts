import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { ephemeralKeySet } from '../../../src/assertion/keys.js'
import { createSigner, signerFor, withAssertion } from '../../../src/assertion/sign.js'
import type { Config } from '../../../src/config/load.js'
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

describe('identity assertion claims and reuse, edge cases', () => {
  it('leaves out an unknown (empty) email and preferred_username rather than signing them empty', async () => {
    for (const blank of [undefined, '']) {
      const anon = identity({ email: blank, preferredUsername: blank, groups: [] })
      const payload = decodeJwt(await signer().assertion(anon, 'a.example'))
      expect(payload).not.toHaveProperty('email')
      expect(payload).not.toHaveProperty('preferred_username')
      expect(payload.groups).toEqual([])
    }
  })

  it('an odd lifetime is renewed at the whole second before its half', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-02T00:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
    const s = signer()
    const brief = identity({ expiresAt: Math.floor(Date.now() / 1000) + 5 })
    const first = await s.assertion(brief, 'a.example')
    jest.setSystemTime(Date.now() + 1_000)
    expect(s.assertion(brief, 'a.example')).toBe(first)
    jest.setSystemTime(Date.now() + 1_000)
    expect(s.assertion(brief, 'a.example')).toBeInstanceOf(Promise)
  })

  it('re-signing an audience makes it the most recent: the oldest other one is dropped first', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-02T00:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
    const s = signer()
    const alice = identity({ expiresAt: Math.floor(Date.now() / 1000) + 3600 })
    const hosts = Array.from({ length: 16 }, (_, i) => `app${i}.example`)
    for (const h of hosts) await s.assertion(alice, h)
    jest.setSystemTime(Date.now() + 30_000)
    await s.assertion(alice, hosts[0]!) // renewed: now the most recent
    await s.assertion(alice, 'app16.example')
    expect(typeof s.assertion(alice, hosts[0]!)).toBe('string')
    expect(s.assertion(alice, hosts[1]!)).toBeInstanceOf(Promise)
  })
})

describe('signerFor and withAssertion', () => {
  const config = (assertion: unknown) => ({ assertion, server: { publicUrl: new URL('https://auth.example.com/base/') } }) as unknown as Config

  it('no assertion configured: no signer; else one signer per config version, issuing as the public origin', async () => {
    expect(signerFor(config(undefined))).toBeUndefined()
    const assertion = { header: 'X-Assert', ttlSeconds: 60, keys }
    const c = config(assertion)
    const s = signerFor(c)!
    expect(s.header).toBe('X-Assert')
    expect(signerFor(c)).toBe(s)
    expect(signerFor(config(assertion))).toBe(s)
    expect(signerFor(config({ ...assertion }))).not.toBe(s)
    const { payload } = await jwtVerify(await s.assertion(identity(), 'a.example'), jwks, { issuer: 'https://auth.example.com', audience: 'a.example' })
    expect(payload.iss).toBe('https://auth.example.com')
  })

  it('adds the assertion header last, leaves the headers as they were, and reuses the combination for the same token', () => {
    const headers = ['X-Auth-Request-User', 'alice']
    const a = withAssertion(headers, 'X-Assert', 'jwt-1')
    expect(a).toEqual(['X-Auth-Request-User', 'alice', 'X-Assert', 'jwt-1'])
    expect(headers).toHaveLength(2)
    expect(withAssertion(headers, 'X-Assert', 'jwt-1')).toBe(a)
    expect(withAssertion(headers, 'X-Assert', 'jwt-2')).toEqual(['X-Auth-Request-User', 'alice', 'X-Assert', 'jwt-2'])
  })
})
