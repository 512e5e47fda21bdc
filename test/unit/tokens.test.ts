import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose'
import { providerBearerRules } from '../../providers/oidc/bearer.js'
import { oidcOptionsSchema } from '../../providers/oidc/options.js'
import { buildConfig } from '../../src/config/load.js'
import { ConfigError, UpstreamIdpError } from '../../src/errors.js'
import { createMetrics } from '../../src/metrics.js'
import { createJwks } from '../../src/tokens/jwks.js'
import { InvalidTokenError, peekIssuer, verifyJwt, type JwtRules } from '../../src/tokens/jwt.js'

const ISS = 'https://sso.example.com/realms/corp'
const rules: JwtRules = { issuers: [ISS], audiences: ['gatehouse'], authorizedParties: ['gatehouse'], typ: 'Bearer', algorithms: ['RS256'], clockSkewSeconds: 30 }

describe('verifyJwt', () => {
  let key: CryptoKey
  let jwks: JWTVerifyGetKey
  let publicJwk: JWK
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => {
    const t = Math.floor(Date.now() / 1000)
    return new SignJWT({ iss: ISS, sub: 'u1', azp: 'gatehouse', typ: 'Bearer', iat: t, exp: t + 300, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header })
      .sign(key)
  }
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256')
    key = pair.privateKey
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
    jwks = createLocalJWKSet({ keys: [publicJwk] })
  })

  it('accepts azp = client id without aud, or aud containing it with another azp', async () => {
    await expect(verifyJwt(await sign({}), jwks, rules)).resolves.toMatchObject({ sub: 'u1' })
    await expect(verifyJwt(await sign({ azp: 'x', aud: ['account', 'gatehouse'] }), jwks, rules)).resolves.toBeTruthy()
  })

  it.each([
    ['wrong azp, aud "account"', { azp: 'x', aud: 'account' }],
    ['wrong typ', { typ: 'ID' }],
    ['expired beyond the skew', { exp: Math.floor(Date.now() / 1000) - 31 }],
    // well beyond the 30 s skew: the table is built at load time, the test may run seconds later
    ['nbf beyond the skew', { nbf: Math.floor(Date.now() / 1000) + 90 }],
    ['other issuer', { iss: 'https://sso.example.com/realms/other' }],
    ['no sub', { sub: undefined }],
  ])('rejects %s', async (_name, claims) => {
    await expect(verifyJwt(await sign(claims), jwks, rules)).rejects.toBeInstanceOf(InvalidTokenError)
  })

  it('rejects an algorithm outside the allowlist even with a matching key', async () => {
    await expect(verifyJwt(await sign({}), jwks, { ...rules, algorithms: ['ES256'] })).rejects.toBeInstanceOf(InvalidTokenError)
  })

  it('rejects HS256 keyed with the public JWK', async () => {
    const t = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ iss: ISS, sub: 'u1', azp: 'gatehouse', typ: 'Bearer', exp: t + 60 })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)))
    await expect(verifyJwt(token, jwks, { ...rules, algorithms: ['RS256', 'ES256'] })).rejects.toBeInstanceOf(InvalidTokenError)
  })

  it('marks an unknown kid as transient (never negatively cached)', async () => {
    const err = await verifyJwt(await sign({}, { kid: 'k2' }), jwks, rules).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidTokenError)
    expect((err as InvalidTokenError).transient).toBe(true)
  })

  it('peekIssuer reads iss from JWT-shaped strings only', async () => {
    expect(peekIssuer(await sign({}))).toBe(ISS)
    for (const t of ['gho_abc', 'a.b', 'a.b.c.d', '', 'x'.repeat(20_000)]) expect(peekIssuer(t)).toBeUndefined()
  })
})

describe('createJwks', () => {
  let server: Server
  let url: string
  let status = 200
  let served = 0
  let body = ''
  beforeAll(async () => {
    const { publicKey } = await generateKeyPair('RS256')
    body = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] })
    server = createServer((_req, res) => {
      served++
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? body : 'nope')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const header = (kid: string) => ({ alg: 'RS256', kid })
  const token = { payload: new Uint8Array(), signature: new Uint8Array() } as never

  it('fetches once, counts it, and refetches for unknown kids at most once per cooldown', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const getKey = createJwks({ provider: 'p', uri: async () => new URL(url), metrics, cooldownMs: 30_000, timeoutMs: 1000 })
    const before = served
    await getKey(header('k1'), token)
    await Promise.all(Array.from({ length: 50 }, (_, i) => Promise.resolve(getKey(header(`random-${i}`), token)).catch(() => undefined)))
    expect(served - before).toBe(1)
    expect(await metrics.registry.getSingleMetricAsString('gatehouse_jwks_refresh_total')).toContain('gatehouse_jwks_refresh_total{provider="p",result="success"} 1')
  })

  it('turns a failing key set into an UpstreamIdpError and backs off instead of refetching per request', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    status = 500
    try {
      const getKey = createJwks({ provider: 'p', uri: async () => new URL(url), metrics, cooldownMs: 30_000, timeoutMs: 1000 })
      const before = served
      for (let i = 0; i < 10; i++) await expect(getKey(header('k1'), token)).rejects.toBeInstanceOf(UpstreamIdpError)
      expect(served - before).toBe(1)
      expect(await metrics.registry.getSingleMetricAsString('gatehouse_jwks_refresh_total')).toContain('result="error"} 1')
    } finally {
      status = 200
    }
  })
})

describe('bearer options', () => {
  const base = { issuer: ISS, clientId: 'gatehouse', clientSecret: 's' }
  const parse = (bearer?: Record<string, unknown>) => oidcOptionsSchema.parse({ ...base, ...(bearer ? { bearer } : {}) })

  it('defaults: Keycloak checks typ Bearer and accepts aud or azp; Google is opt-in with aud only', () => {
    expect(providerBearerRules('keycloak', parse(), [])).toEqual({
      issuers: [ISS], audiences: ['gatehouse'], authorizedParties: ['gatehouse'], typ: 'Bearer', algorithms: ['RS256'], clockSkewSeconds: 30,
    })
    expect(providerBearerRules('oidc', parse(), [])?.typ).toBeUndefined()
    expect(providerBearerRules('google', parse(), [])).toBeUndefined()
    expect(providerBearerRules('google', parse({ enabled: true }), ['accounts.google.com'])).toMatchObject({
      issuers: [ISS, 'accounts.google.com'], audiences: ['gatehouse'], authorizedParties: [],
    })
    expect(providerBearerRules('keycloak', parse({ enabled: false }), [])).toBeUndefined()
    expect(providerBearerRules('keycloak', parse({ typ: null, acceptAzp: false, audiences: ['api'] }), [])).toMatchObject({ typ: undefined, authorizedParties: [], audiences: ['api'] })
  })

  it('refuses none/HS algorithms and skews above 30s', () => {
    for (const bad of [{ algorithms: ['none'] }, { algorithms: ['HS256'] }, { clockSkew: '31s' }, { algorithms: [] }, { surprise: 1 }]) {
      expect(oidcOptionsSchema.safeParse({ ...base, bearer: bad }).success).toBe(false)
    }
  })
})

describe('extraIssuers config', () => {
  const config = (extraIssuers: unknown[]) =>
    buildConfig({
      server: { publicUrl: 'https://auth.example.com' },
      cookie: { secret: Buffer.alloc(32, 1).toString('base64') },
      providers: [{ id: 'corp', type: 'keycloak', issuer: ISS, clientId: 'gatehouse', clientSecret: 's' }],
      authorization: {},
      extraIssuers,
    })

  it('parses an entry with durations in seconds', async () => {
    const c = await config([{ id: 'ci', issuer: 'https://ci.example.com', audiences: ['gatehouse'], clockSkew: '10s' }])
    expect(c.extraIssuers[0]).toMatchObject({ id: 'ci', clockSkewSeconds: 10, jwksCooldownSeconds: 30, algorithms: ['RS256'] })
  })

  it('reports problems with key paths', async () => {
    const err = (await config([
      { id: 'corp', issuer: 'http://ci.example.com', audiences: ['x'] },
      { id: 'hs', issuer: 'https://ci.example.com', audiences: ['x'], algorithms: ['HS256'] },
      { id: 'open', issuer: 'https://ci.example.com' },
    ]).catch((e: unknown) => e)) as ConfigError
    expect(err).toBeInstanceOf(ConfigError)
    const text = err.problems.join('\n')
    expect(text).toMatch(/extraIssuers\[0\]\.issuer: must be https/)
    expect(text).toMatch(/extraIssuers\[2\]\.audiences: set audiences or authorizedParties/)
    expect(text).toMatch(/extraIssuers\[1\]\.algorithms\[0\]/)
  })

  it('refuses an id already used by a provider', async () => {
    const err = (await config([{ id: 'corp', issuer: 'https://ci.example.com', audiences: ['x'] }]).catch((e: unknown) => e)) as ConfigError
    expect(err.problems.join('\n')).toMatch(/extraIssuers\[0\]\.id: "corp" is already used/)
  })
})
