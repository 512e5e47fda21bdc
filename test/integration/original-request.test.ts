/**
 * Issue 10 through the verify endpoints: the original request is read strictly (no comma split,
 * repeats refused), every path reading is judged, and a client-set identity header is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import request from 'supertest'
import type { Gatehouse } from '../../src/server.js'
import { DEFAULT_IDENTITY_LIKE } from '../../src/headers/strip.js'
import { cookieFor, start } from './rules-helpers.js'
import { rawRequest } from '../helpers/raw-http.js'
import { assertAsyncProperty, spellings } from '../helpers/property.js'
import { covers, oracleReadings, rawPath } from '../helpers/path-oracle.js'

const RULES = [
  { name: 'internal', paths: ['/internal'], deny: true },
  { name: 'admin', paths: ['/admin'], require: { groups: ['admins'] } },
  { name: 'public', paths: ['/public'], allow: 'public' },
]

describe('verify endpoints read the original request strictly', () => {
  let gh: Gatehouse
  let alice: string
  beforeAll(async () => {
    gh = await start({ rules: RULES, server: { listen: '127.0.0.1:0', publicUrl: 'https://auth.example.com', debugRuleHeader: true } })
    alice = cookieFor(gh, { user: 'alice', groups: ['staff'] })
  })
  afterAll(() => gh.close())

  const nginx = (path: string, extra: Record<string, string> = {}) =>
    request(gh.url).get('/oauth2/auth').set({ 'x-original-url': `https://app.example.test${path}`, 'x-original-method': 'GET', ...extra })
  const traefik = (uri: string, extra: Record<string, string> = {}) =>
    request(gh.url)
      .get('/oauth2/forward-auth')
      .set({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': uri, 'x-forwarded-method': 'GET', ...extra })

  it('finding 1: /public,/../internal is judged as /internal, not as /public', async () => {
    const res = await nginx('/public,/../internal')
    expect(res.status).toBe(403)
    expect(res.headers['x-gatehouse-rule']).toBe('internal')
    expect((await traefik('/public,/../internal')).status).toBe(403)
  })

  it('finding 1: two X-Original-URL headers are refused (403, which nginx accepts), never read as the first', async () => {
    const res = await rawRequest(gh.url, 'GET /oauth2/auth HTTP/1.1', [
      ['X-Original-URL', 'https://app.example.test/public'],
      ['X-Original-URL', 'https://app.example.test/internal'],
    ])
    expect(res.status).toBe(403)
    expect(res.head.toLowerCase()).toContain('x-gatehouse-rule: refused:repeated-header')
    const fwd = await rawRequest(gh.url, 'GET /oauth2/forward-auth HTTP/1.1', [
      ['X-Forwarded-Host', 'app.example.test'],
      ['X-Forwarded-Uri', '/public'],
      ['X-Forwarded-Uri', '/internal'],
    ])
    expect(fwd.status).toBe(400)
  })

  it('finding 1: a comma in the host is refused', async () => {
    const res = await request(gh.url).get('/oauth2/auth').set({ 'x-original-url': 'https://app.example.test,evil.example.test/public' })
    expect(res.status).toBe(403)
    expect(res.headers['x-gatehouse-rule']).toBe('refused:bad-host')
  })

  it.each([
    '/public/..;/internal',
    '/internal;jsessionid=x',
    '/public/%252e%252e/internal',
    '/internal%3Fx',
    '/internal%20',
    '/internal%00',
    '/internal%23/x',
  ])('findings 3 and 11: %s is denied anonymously and signed in', async (path) => {
    for (const extra of [{}, { cookie: alice }] as Record<string, string>[]) {
      const res = await nginx(path, extra)
      expect(res.status).toBe(403)
      expect((await traefik(path, extra)).status).toBe(403)
    }
  })

  it('a path a require rule covers under some reading needs that requirement', async () => {
    for (const path of ['/public/..;/admin', '/admin;x', '/public/%252e%252e/admin', '/admin%3Fx']) {
      expect((await nginx(path)).status).toBe(401)
      expect((await nginx(path, { cookie: alice })).status).toBe(403)
    }
  })

  it('ordinary public paths stay public (and say which rule)', async () => {
    const res = await nginx('/public/a%20b;v=1')
    expect(res.status).toBe(202)
    expect(res.headers['x-gatehouse-rule']).toBe('public')
  })

  describe('finding 10: a client cannot pre-set identity', () => {
    const names = ['X-Auth-Request-User', 'X-Auth-Request-Email', 'X-Auth-Request-Groups', 'X-Auth-Request-Access-Token', ...DEFAULT_IDENTITY_LIKE]

    it('generated spellings of every identity-like name are refused on both endpoints, signed in or not', async () => {
      const samples = fc.sample(fc.tuple(fc.constantFrom(...names).chain(spellings), fc.boolean()), { numRuns: 60, seed: 20261201 })
      for (const [name, signedIn] of samples) {
        const extra = { [name]: 'alice', ...(signedIn ? { cookie: alice } : {}) }
        const auth = await nginx('/public', extra)
        expect([name, auth.status, auth.headers.location]).toEqual([name, 403, undefined])
        const fwd = await traefik('/public', extra)
        expect([name, fwd.status]).toEqual([name, 400])
      }
    })

    it('a Connection header naming one is refused', async () => {
      const res = await rawRequest(gh.url, 'GET /oauth2/auth HTTP/1.1', [
        ['X-Original-URL', 'https://app.example.test/public'],
        ['Connection', 'keep-alive, X_Auth_Request_User'],
      ])
      expect(res.status).toBe(403)
      expect(res.head.toLowerCase()).toContain('x-gatehouse-rule: refused:connection-names-identity')
    })

    it('Authorization is not identity-like', async () => {
      expect((await nginx('/public', { authorization: 'Basic eDp5' })).status).toBe(202)
    })
  })
})

describe('property through /oauth2/auth and /oauth2/forward-auth: no anonymous allow under any reading', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await start({ rules: RULES, defaultRule: { allow: 'public' } })
  })
  afterAll(() => gh.close())

  it('a path any reading of which hits /internal is 403; one hitting /admin is never allowed anonymously', async () => {
    await assertAsyncProperty(
      fc.asyncProperty(rawPath, async (raw) => {
        const readings = oracleReadings(raw)
        const hit = (prefix: string) => [...readings].some((r) => covers(prefix, r))
        const auth = await request(gh.url).get('/oauth2/auth').set({ 'x-original-url': `https://app.example.test${raw}`, 'x-original-method': 'GET' })
        const fwd = await request(gh.url)
          .get('/oauth2/forward-auth')
          .set({ 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': raw, 'x-forwarded-method': 'GET' })
        for (const res of [auth, fwd]) {
          if (hit('/internal') || hit('/admin')) expect([raw, res.status < 300]).toEqual([raw, false])
          if (hit('/internal') && res.status !== 400) expect([raw, res.status]).toEqual([raw, 403])
        }
      }),
      150,
    )
  })
})
