import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { SignJWT, exportSPKI, generateKeyPair, importJWK, type JWK } from 'jose'
import request from 'supertest'
import { startRealm, type Realm } from '../../dev/devidp/realm.js'
import type { Gatehouse } from '../../src/server.js'
import { startStack, type Stack } from '../helpers/stack.js'

async function metricValue(gh: Gatehouse, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = gh.metrics.registry.getSingleMetric(name)
  if (!metric) return 0
  const { values } = await metric.get()
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((s, v) => s + v.value, 0)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

const alice = (realm: Realm, over: Record<string, unknown> = {}) => ({
  sub: realm.subjectOf('alice'),
  azp: 'gatehouse',
  preferred_username: 'alice',
  email: 'Alice@Example.com',
  email_verified: true,
  realm_access: { roles: ['admin', 'offline_access'] },
  resource_access: { grafana: { roles: ['editor'] } },
  groups: ['/staff', '/sre'],
  scope: 'openid email profile',
  ...over,
})

const expectInvalid = (res: request.Response) => {
  expect(res.status).toBe(401)
  expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
  expect(res.headers['x-auth-request-user']).toBeUndefined()
}

describe('bearer JWTs from a Keycloak realm', () => {
  let stack: Stack
  let partner: Realm
  const fetches = () => metricValue(stack.gatehouse, 'gatehouse_jwks_refresh_total', { provider: 'corp' })
  const auth = (token: string, path = '/oauth2/auth') => request(stack.url).get(path).set('Authorization', `Bearer ${token}`)

  beforeAll(async () => {
    partner = await startRealm({ realm: 'partner', users: [], clients: [] })
    stack = await startStack({
      config: {
        extraIssuers: [{ id: 'partner', issuer: partner.issuer, authorizedParties: ['ci-bot'], typ: 'Bearer', allowInsecureRequests: true }],
      },
    })
  }, 90_000)
  afterAll(async () => {
    await stack.close()
    await partner.close()
  })

  it('accepts a Keycloak-shaped access token (azp = client id, typ Bearer) with the login identity mapping', async () => {
    const res = await auth(await stack.realm.signAccessToken(alice(stack.realm)))
    expect(res.status).toBe(202)
    expect(res.headers['x-auth-request-user']).toBe(stack.realm.subjectOf('alice'))
    expect(res.headers['x-auth-request-email']).toBe('alice@example.com')
    expect(res.headers['x-auth-request-groups']).toBe('staff,sre')
    expect(res.headers['x-auth-request-preferred-username']).toBe('alice')
    const me = await auth(await stack.realm.signAccessToken(alice(stack.realm)), '/oauth2/userinfo')
    expect(me.body.roles).toEqual(expect.arrayContaining(['admin', 'grafana:editor']))
    expect(me.body.provider).toBe('corp')
  })

  it('answers /oauth2/forward-auth with 200 and the same headers', async () => {
    const res = await auth(await stack.realm.signAccessToken(alice(stack.realm)), '/oauth2/forward-auth')
    expect(res.status).toBe(200)
    expect(res.headers['x-auth-request-preferred-username']).toBe('alice')
  })

  it('accepts a token from an extra issuer (discovery, azp rule)', async () => {
    const token = await partner.signAccessToken({ sub: 'svc-1', azp: 'ci-bot', preferred_username: 'ci' })
    const res = await auth(token)
    expect(res.status).toBe(202)
    expect(res.headers['x-auth-request-preferred-username']).toBe('ci')
    expect(await metricValue(stack.gatehouse, 'gatehouse_jwks_refresh_total', { provider: 'partner', result: 'success' })).toBe(1)
  })

  it('rejects an extra-issuer token for another client', async () => {
    expectInvalid(await auth(await partner.signAccessToken({ sub: 'svc-1', azp: 'someone-else' })))
  })

  it('rejects an extra-issuer ID token (nonce, at_hash), and accepts an RFC 9068 access token that has a nonce', async () => {
    expectInvalid(await auth(await partner.signAccessToken({ sub: 'svc-1', azp: 'ci-bot', nonce: 'n', at_hash: 'h' })))
    expect((await auth(await partner.signAccessToken({ sub: 'svc-1', azp: 'ci-bot', nonce: 'n' }, { typ: 'at+jwt' }))).status).toBe(202)
  })

  it('rejects an expired token', async () => {
    expectInvalid(await auth(await stack.realm.signAccessToken(alice(stack.realm), { expiresIn: -60 })))
  })

  it('rejects a not-yet-valid token (nbf beyond the skew)', async () => {
    expectInvalid(await auth(await stack.realm.signAccessToken(alice(stack.realm, { nbf: now() + 120 }))))
  })

  it('tolerates a small skew on nbf', async () => {
    expect((await auth(await stack.realm.signAccessToken(alice(stack.realm, { nbf: now() + 10 })))).status).toBe(202)
  })

  it('rejects a wrong iss without fetching any key set', async () => {
    const before = await fetches()
    expectInvalid(await auth(await stack.realm.signAccessToken(alice(stack.realm, { iss: 'http://127.0.0.1:9/realms/evil' }))))
    expectInvalid(await auth(await stack.realm.signAccessToken(alice(stack.realm, { iss: `${stack.realm.issuer}/` }))))
    expect(await fetches()).toBe(before)
  })

  it('rejects a token issued to another client (azp), unless aud names Gatehouse', async () => {
    expectInvalid(await auth(await stack.realm.signAccessToken(alice(stack.realm, { azp: 'other-app', aud: 'account' }))))
    expect((await auth(await stack.realm.signAccessToken(alice(stack.realm, { azp: 'other-app', aud: ['account', 'gatehouse'] })))).status).toBe(202)
  })

  it('rejects an ID token presented as a bearer token (typ claim)', async () => {
    expectInvalid(await auth(await stack.realm.signAccessToken(alice(stack.realm, { typ: 'ID', aud: 'gatehouse' }))))
  })

  it('rejects alg none', async () => {
    const payload = { ...alice(stack.realm), iss: stack.realm.issuer, exp: now() + 300, typ: 'Bearer' }
    expectInvalid(await auth(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`))
    expectInvalid(await auth(`${b64({ alg: 'none' })}.${b64(payload)}.c2ln`))
  })

  it('rejects HS256 signed with the realm public key (JWK JSON and PEM as the HMAC secret)', async () => {
    const certs = (await (await fetch(`${stack.realm.issuer}/protocol/openid-connect/certs`)).json()) as { keys: JWK[] }
    const jwk = certs.keys.find((k) => k.use === 'sig')!
    const pem = await exportSPKI((await importJWK(jwk, 'RS256')) as CryptoKey)
    for (const secret of [JSON.stringify(jwk), pem, jwk.n!]) {
      const token = await new SignJWT({ ...alice(stack.realm), typ: 'Bearer' })
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
        .setIssuer(stack.realm.issuer)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret))
      expectInvalid(await auth(token))
    }
  })

  it('rejects garbage, an empty token and a tampered signature', async () => {
    expectInvalid(await auth('not-a-token'))
    const good = await stack.realm.signAccessToken(alice(stack.realm))
    expectInvalid(await auth(good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA')))
    const empty = await request(stack.url).get('/oauth2/auth').set('Authorization', 'Bearer    ')
    expect(empty.status).toBe(401)
  })

  it('applies provider authorization, rules and query constraints to bearer identities', async () => {
    const token = await stack.realm.signAccessToken(alice(stack.realm))
    expect((await request(stack.url).get('/oauth2/auth?allowed_groups=sre').set('Authorization', `Bearer ${token}`)).status).toBe(202)
    const denied = await request(stack.url).get('/oauth2/auth?allowed_groups=finance').set('Authorization', `Bearer ${token}`)
    expect(denied.status).toBe(403)
    expect(denied.headers['www-authenticate']).toBeUndefined()
  })

  it('logs the rejection reason but never echoes it', async () => {
    const res = await auth(await stack.realm.signAccessToken(alice(stack.realm), { expiresIn: -60 }))
    expect(res.text).not.toMatch(/exp|expired|claim/i)
  })
})

describe('bearer JWT keys: unknown kid and rotation', () => {
  // Long enough that a round of the tests below fits one cooldown even under heavy machine load.
  const COOLDOWN_MS = 5000
  let stack: Stack
  const fetches = () => metricValue(stack.gatehouse, 'gatehouse_jwks_refresh_total', { provider: 'corp' })
  const auth = (token: string) => request(stack.url).get('/oauth2/auth').set('Authorization', `Bearer ${token}`)

  beforeAll(async () => {
    stack = await startStack({ provider: { bearer: { jwksCooldown: `${COOLDOWN_MS / 1000}s` } } })
  })
  afterAll(() => stack.close())

  it('refetches once for an unknown kid, then rejects; a flood of random kids stays rate-limited', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const randomKid = () =>
      new SignJWT({ ...alice(stack.realm), typ: 'Bearer' })
        .setProtectedHeader({ alg: 'RS256', kid: randomUUID() })
        .setIssuer(stack.realm.issuer)
        .setExpirationTime('5m')
        .sign(privateKey)
    const tokens = await Promise.all(Array.from({ length: 60 }, randomKid))
    expect((await auth(await stack.realm.signAccessToken(alice(stack.realm)))).status).toBe(202)
    expect(await fetches()).toBe(1)
    await sleep(COOLDOWN_MS + 100)
    // The refetch limit is per cooldown of wall-clock time, and under machine load the 60 requests can take longer
    // than one cooldown: at most one fetch per started cooldown, measured around the requests, at least the one.
    const started = Date.now()
    const flood = await Promise.all(tokens.slice(0, 40).map(auth))
    for (const res of flood) expectInvalid(res)
    const afterFlood = (await fetches()) - 1
    expect(afterFlood).toBeGreaterThanOrEqual(1)
    expect(afterFlood).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / COOLDOWN_MS))
    for (const token of tokens.slice(40)) expectInvalid(await auth(token))
    expect((await fetches()) - 1).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / COOLDOWN_MS))
  }, 90_000)

  it('picks up a rotated key once the cooldown allows a refetch; the passive key still verifies', async () => {
    const old = await stack.realm.signAccessToken(alice(stack.realm, { jti: 'old-key' }))
    await stack.realm.rotateKeys()
    await sleep(COOLDOWN_MS + 100)
    const before = await fetches()
    expect((await auth(await stack.realm.signAccessToken(alice(stack.realm)))).status).toBe(202)
    expect(await fetches()).toBe(before + 1)
    expect((await auth(old)).status).toBe(202)
  }, 90_000)

  it('does not remember a new-kid rejection during the cooldown', async () => {
    // "Within the cooldown" holds only if the steps below take less than one cooldown; under machine load they
    // may not, and then the new kid is (rightly) fetched: such a round proves nothing and is run again.
    for (let round = 1; ; round++) {
      await sleep(COOLDOWN_MS + 100)
      const fetched = Date.now()
      await auth(await stack.realm.signAccessToken(alice(stack.realm), { foreignKey: true }))
      await stack.realm.rotateKeys()
      const fresh = await stack.realm.signAccessToken(alice(stack.realm))
      const res = await auth(fresh)
      if (Date.now() - fetched >= COOLDOWN_MS) {
        if (round < 5) continue
        throw new Error('5 rounds each took longer than the JWKS cooldown: the machine is too slow to test this')
      }
      // Within the cooldown the new kid cannot be fetched yet …
      expectInvalid(res)
      await sleep(COOLDOWN_MS + 100)
      // … and the same token passes once it can.
      expect((await auth(fresh)).status).toBe(202)
      return
    }
  }, 120_000)
})
