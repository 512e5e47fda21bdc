/**
 * The signed identity assertion, checked by a verifier that knows nothing but the JWKS URL:
 * jose's createRemoteJWKSet against the running server's /.well-known/jwks.json.
 */
import { createServer, type Server } from 'node:http'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { sessionCookie } from '../helpers/session.js'

const ISSUER = 'https://auth.example.test'
const HEADER = 'x-gatehouse-assertion'
const traefik = (host: string) => ({ 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': host, 'X-Forwarded-Uri': '/d/x', 'X-Forwarded-Method': 'GET' })

let dir: string
const servers: Gatehouse[] = []

async function start(assertion: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Gatehouse> {
  const port = await freePort()
  const config = await buildConfig(
    {
      server: { listen: `127.0.0.1:${port}`, publicUrl: ISSUER },
      cookie: { secret: randomSecret(), domains: ['.example.test'] },
      providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
      authorization: {},
      headers: { assertion },
      logging: { level: 'silent' },
      ...extra,
    },
    { baseDir: dir },
  )
  const gh = await startGatehouse(config, { logger: createLogger('silent') })
  servers.push(gh)
  return gh
}

/** A verifier that has only the JWKS URL (the server's own, on loopback). */
const verifier = (gh: Gatehouse) => createRemoteJWKSet(new URL('/.well-known/jwks.json', gh.url))

async function assertionFrom(gh: Gatehouse, host = 'app.example.test'): Promise<string> {
  const res = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik(host), Cookie: sessionCookie(gh.runtime()) })
  expect(res.status).toBe(200)
  return res.headers[HEADER] as string
}

let old: Gatehouse // signs with key 1
let rotating: Gatehouse // signs with key 2, still publishes key 1
let rotated: Gatehouse // key 2 only

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-assertion-'))
  await writeFile(join(dir, 'key1.pem'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }))
  await writeFile(join(dir, 'key2.jwk'), JSON.stringify({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'key-2' }))
  old = await start({ enabled: true, keys: ['key1.pem'] })
  rotating = await start({ enabled: true, keys: ['key2.jwk', 'key1.pem'] })
  rotated = await start({ enabled: true, keys: ['key2.jwk'] })
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  await rm(dir, { recursive: true, force: true })
})

describe('signed identity assertion', () => {
  it('an allow carries a JWT that verifies against the JWKS alone, with iss, aud = the app host, sub, email, groups, iat, exp', async () => {
    const jwt = await assertionFrom(old)
    const { payload } = await jwtVerify(jwt, verifier(old), { issuer: ISSUER, audience: 'app.example.test' })
    expect(payload).toMatchObject({ sub: 'u-1', email: 'alice@example.com', preferred_username: 'alice', groups: ['staff', 'sre'] })
    expect(payload.exp! - payload.iat!).toBe(60)
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5)
  })

  it('the same session and host get the same signature back (cached), another host its own', async () => {
    const cookie = sessionCookie(old.runtime())
    const ask = async (host: string) =>
      (await request(old.url).get('/oauth2/forward-auth').set({ ...traefik(host), Cookie: cookie })).headers[HEADER] as string
    const first = await ask('app.example.test')
    expect(await ask('app.example.test')).toBe(first)
    const other = await ask('grafana.example.test')
    expect(decodeJwt(other).aud).toBe('grafana.example.test')
    expect(other).not.toBe(first)
  })

  it('a verifier for another audience refuses it', async () => {
    const jwt = await assertionFrom(old, 'app.example.test')
    await expect(jwtVerify(jwt, verifier(old), { issuer: ISSUER, audience: 'grafana.example.test' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    })
  })

  it('is refused once expired', async () => {
    const jwt = await assertionFrom(old)
    const { exp } = decodeJwt(jwt)
    const at = (s: number) => jwtVerify(jwt, verifier(old), { issuer: ISSUER, audience: 'app.example.test', currentDate: new Date(s * 1000), clockTolerance: 0 })
    await expect(at(exp! - 1)).resolves.toBeDefined()
    await expect(at(exp! + 1)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })

  it('rotation with overlap: the new key signs, an assertion from the old key still verifies until the old key is dropped', async () => {
    const before = await assertionFrom(old)
    const after = await assertionFrom(rotating)
    expect(decodeProtectedHeader(after)).toMatchObject({ alg: 'EdDSA', kid: 'key-2' })
    expect(decodeProtectedHeader(before).alg).toBe('ES256')
    const options = { issuer: ISSUER, audience: 'app.example.test' }
    await expect(jwtVerify(before, verifier(rotating), options)).resolves.toBeDefined()
    await expect(jwtVerify(after, verifier(rotating), options)).resolves.toBeDefined()
    await expect(jwtVerify(after, verifier(rotated), options)).resolves.toBeDefined()
    await expect(jwtVerify(before, verifier(rotated), options)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it('the JWKS publishes public members only, never a private "d" (files and generated key)', async () => {
    const generated = await start({ enabled: true })
    for (const gh of [old, rotating, rotated, generated]) {
      const res = await request(gh.url).get('/.well-known/jwks.json')
      expect(res.status).toBe(200)
      expect(res.text).not.toMatch(/"(d|p|q|dp|dq|qi|k)"/)
      for (const key of res.body.keys) expect(Object.keys(key).every((m) => ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'].includes(m))).toBe(true)
    }
    expect((await request(rotating.url).get('/.well-known/jwks.json')).body.keys).toHaveLength(2)
    const jwt = await assertionFrom(generated)
    await expect(jwtVerify(jwt, verifier(generated), { issuer: ISSUER, audience: 'app.example.test' })).resolves.toBeDefined()
  })

  it('a client cannot bring its own: a request carrying the assertion header in any spelling is refused', async () => {
    for (const name of ['X-Gatehouse-Assertion', 'x_gatehouse_assertion', 'X.GATEHOUSE.Assertion']) {
      const res = await request(old.url).get('/oauth2/forward-auth').set({ ...traefik('app.example.test'), Cookie: sessionCookie(old.runtime()), [name]: 'forged' })
      expect([name, res.status]).toEqual([name, 400])
    }
  })

  it('no assertion and no JWKS while it is off', async () => {
    const off = await start({})
    expect((await request(off.url).get('/.well-known/jwks.json')).status).toBe(404)
    const res = await request(off.url).get('/oauth2/forward-auth').set({ ...traefik('app.example.test'), Cookie: sessionCookie(off.runtime()) })
    expect(res.status).toBe(200)
    expect(res.headers[HEADER]).toBeUndefined()
  })

  it('a generated key with more than one worker is a config error', async () => {
    await expect(start({ enabled: true }, { server: { listen: '127.0.0.1:0', publicUrl: ISSUER, workers: 2 } })).rejects.toThrow(
      /headers\.assertion\.keys: with server\.workers other than 1/,
    )
  })
})

describe('signed identity assertion in upstream mode', () => {
  let app: Server
  let gh: Gatehouse
  let seen: Record<string, string | string[] | undefined>[]
  beforeAll(async () => {
    seen = []
    app = createServer((req, res) => {
      seen.push(req.headers)
      res.end('app')
    })
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
    const port = await freePort()
    gh = await start({ enabled: true, keys: ['key1.pem'] }, {
      server: { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}`, trustedProxies: [] },
      cookie: { secret: randomSecret() },
      upstream: `http://127.0.0.1:${(app.address() as { port: number }).port}`,
    })
  })
  afterAll(async () => {
    app.closeAllConnections()
    await new Promise((r) => app.close(r))
  })

  it('the app receives Gatehouse\'s assertion (aud = publicUrl host), never the client\'s; the JWKS is Gatehouse\'s own', async () => {
    const res = await request(gh.url).get('/page').set({ Cookie: sessionCookie(gh.runtime()), 'X-Gatehouse-Assertion': 'forged', X_GATEHOUSE_ASSERTION: 'forged2' })
    expect(res.status).toBe(200)
    const received = seen.at(-1)!
    expect(JSON.stringify(received)).not.toContain('forged')
    const host = new URL(gh.url).host
    const { payload } = await jwtVerify(received[HEADER] as string, verifier(gh), { issuer: new URL(gh.url).origin, audience: host })
    expect(payload.sub).toBe('u-1')
    const jwks = await request(gh.url).get('/.well-known/jwks.json')
    expect(jwks.body.keys).toHaveLength(1)
    expect(seen.every((h) => h[HEADER] !== undefined)).toBe(true)
  })
})
