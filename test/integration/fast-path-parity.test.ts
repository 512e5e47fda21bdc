/**
 * The verify fast path (routes/verify.ts `fastPath`, composed in server.ts) and the Koa route give
 * the same answer: status, headers (but Date) and body, for allows and denies alike, and the fast
 * path answers all of them itself (Koa never sees a verify request that was decided).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import request from 'supertest'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { buildGatehouse } from '../../src/server.js'
import { fastPath } from '../../src/routes/verify.js'
import { createLogger } from '../../src/logger.js'
import type { Metrics } from '../../src/metrics.js'
import { configWith } from './rules-helpers.js'
import { sessionCookie } from '../helpers/session.js'
import { assertAsyncProperty } from '../helpers/property.js'

const listen = (server: Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)))

const RULES = [
  { name: 'internal', paths: ['/internal'], deny: true },
  { name: 'public', paths: ['/public'], allow: 'public' },
  { name: 'admins', paths: ['/admin'], require: { groups: ['admins'] } },
]

/** Two listeners on one Gatehouse: the pipeline of server.ts, and Koa alone (the fast path bypassed). */
async function pair(extra: Record<string, unknown>) {
  const config = await configWith({
    server: { listen: '127.0.0.1:0', publicUrl: 'https://auth.example.com', debugRuleHeader: true },
    redirect: { allowedDomains: ['.example.test'] },
    rules: RULES,
    headers: { passAccessToken: true },
    ...extra,
  })
  const built = buildGatehouse(config, { logger: createLogger('silent') })
  const koa = built.koa.callback()
  const state = { koaCalls: 0 }
  const counted = (req: IncomingMessage, res: ServerResponse) => {
    state.koaCalls++
    return koa(req, res)
  }
  const servers = [createServer(fastPath(built.getRuntime, built.shared.metrics, counted)), createServer(koa)]
  const [fastUrl, koaUrl] = await Promise.all(servers.map(listen))
  return {
    built,
    state,
    fastUrl: fastUrl!,
    koaUrl: koaUrl!,
    async close() {
      for (const s of servers) s.closeAllConnections()
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    },
  }
}
type Pair = Awaited<ReturnType<typeof pair>>

const strip = (h: Record<string, string>) => {
  const { date: _d, 'x-request-id': _id, ...rest } = h
  return rest
}

async function decisionsTotal(metrics: Metrics): Promise<string> {
  const { values } = await metrics.registry.getSingleMetric('gatehouse_decisions_total')!.get()
  return JSON.stringify(values.map((v) => [v.labels, v.value]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))))
}

/** Sends one request to both listeners; expects the same answer, and the fast listener not to call Koa. */
async function expectAlike(p: Pair, path: string, headers: Record<string, string>, koaCalls = 0) {
  const before = p.state.koaCalls
  const a = await request(p.fastUrl).get(path).set(headers)
  const b = await request(p.koaUrl).get(path).set(headers)
  expect(a.status).toBe(b.status)
  expect(strip(a.headers)).toEqual(strip(b.headers))
  // an error answer carries its own request id (X-Request-Id, stripped above, and in the body)
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g
  expect(a.text.replace(uuid, '<id>')).toEqual(b.text.replace(uuid, '<id>'))
  expect(p.state.koaCalls - before).toBe(koaCalls)
  // the contract of /oauth2/auth: nginx never sees a 3xx or 5xx
  if (path.startsWith('/oauth2/auth')) expect([202, 401, 403]).toContain(a.status)
  return a
}

describe('fast path and Koa path answer alike', () => {
  let p: Pair
  let cookie: string
  beforeAll(async () => {
    p = await pair({})
    cookie = sessionCookie(p.built.getRuntime(), {}, { accessToken: 'at-1' })
  })
  afterAll(() => p.close())

  const nginx = { 'x-original-url': 'https://app.example.test/x', 'x-original-method': 'GET' }
  const traefik = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/x', 'x-forwarded-method': 'GET' }
  const cases: [string, string, () => Record<string, string>, number][] = [
    ['session allow, nginx', '/oauth2/auth', () => ({ ...nginx, cookie }), 202],
    ['session allow, forward-auth', '/oauth2/forward-auth', () => ({ ...traefik, cookie }), 200],
    ['public allow', '/oauth2/auth', () => ({ ...nginx, 'x-original-url': 'https://app.example.test/public/a' }), 202],
    ['anonymous 401', '/oauth2/auth', () => nginx, 401],
    ['anonymous navigation, forward-auth', '/oauth2/forward-auth', () => ({ ...traefik, accept: 'text/html' }), 302],
    ['anonymous POST navigation, forward-auth', '/oauth2/forward-auth', () => ({ ...traefik, 'x-forwarded-method': 'POST', accept: 'text/html' }), 303],
    ['anonymous navigation, nginx: 401 with Location, HTML', '/oauth2/auth', () => ({ ...nginx, accept: 'text/html' }), 401],
    ['deny rule', '/oauth2/auth', () => ({ ...nginx, 'x-original-url': 'https://app.example.test/internal', cookie }), 403],
    ['require not met, navigation: to the forbidden page', '/oauth2/forward-auth', () => ({ ...traefik, 'x-forwarded-uri': '/admin', cookie, accept: 'text/html' }), 302],
    ['require not met, API call', '/oauth2/forward-auth', () => ({ ...traefik, 'x-forwarded-uri': '/admin', cookie, accept: 'application/json' }), 403],
    ['require not met, nginx navigation', '/oauth2/auth', () => ({ ...nginx, 'x-original-url': 'https://app.example.test/admin', cookie, accept: 'text/html' }), 403],
    ['refused, forward-auth', '/oauth2/forward-auth', () => ({ ...traefik, 'x-remote-user': 'boss', cookie }), 400],
    ['refused, nginx', '/oauth2/auth', () => ({ ...nginx, 'x-remote-user': 'boss', cookie }), 403],
    ['allowed_groups not met', '/oauth2/auth?allowed_groups=nobody', () => ({ ...nginx, cookie }), 403],
    ['garbage bearer', '/oauth2/auth', () => ({ ...nginx, authorization: 'Bearer not.a.jwt' }), 401],
  ]

  it.each(cases)('%s', async (_name, path, headers, status) => {
    const res = await expectAlike(p, path, headers())
    expect(res.status).toBe(status)
  })

  it('an identity value no header may carry (CR/LF): a 403 on both paths, nothing injected, never a 5xx', async () => {
    const odd = sessionCookie(p.built.getRuntime(), { email: 'alice@example.com\r\nX-Injected: 1' })
    for (const [path, h] of [['/oauth2/auth', nginx], ['/oauth2/forward-auth', traefik]] as const) {
      const res = await expectAlike(p, path, { ...h, cookie: odd })
      expect(res.status).toBe(403)
      expect(res.headers['x-injected']).toBeUndefined()
      expect(res.headers['x-auth-request-user']).toBeUndefined()
      expect(res.headers['x-auth-request-email']).toBeUndefined()
    }
  })

  it('counts each answer once, the same on both paths', async () => {
    const before = await decisionsTotal(p.built.shared.metrics)
    await request(p.fastUrl).get('/oauth2/auth').set(nginx)
    const afterFast = await decisionsTotal(p.built.shared.metrics)
    await request(p.koaUrl).get('/oauth2/auth').set(nginx)
    const afterKoa = await decisionsTotal(p.built.shared.metrics)
    expect(afterFast).not.toEqual(before)
    const count = (s: string) => JSON.parse(s).find((x: [Record<string, string>]) => x[0].result === 'unauthenticated' && x[0].endpoint === 'auth')?.[1] ?? 0
    expect(count(afterFast) - count(before)).toBe(1)
    expect(count(afterKoa) - count(afterFast)).toBe(1)
  })
})

describe('generated verify requests: fast path and Koa answer alike', () => {
  let realm: Realm
  let p: Pair
  const cookies: Record<string, string> = {}
  const bearers: Record<string, string> = {}
  beforeAll(async () => {
    realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: ['https://auth.example.com/oauth2/callback'] }] })
    p = await pair({
      providers: [{ id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
    })
    const rt = p.built.getRuntime()
    cookies.valid = sessionCookie(rt, {}, { accessToken: 'at-1' })
    cookies.admin = sessionCookie(rt, { groups: ['admins'] })
    cookies.expired = sessionCookie(rt, {}, { expiresAt: Math.floor(Date.now() / 1000) - 60 })
    cookies.garbage = '_gatehouse=Zm9vYmFy.not-sealed'
    const claims = { sub: realm.subjectOf('alice'), azp: 'gatehouse', preferred_username: 'alice', email: 'alice@example.com', email_verified: true, groups: ['/staff'] }
    bearers.valid = await realm.signAccessToken(claims)
    bearers.admin = await realm.signAccessToken({ ...claims, groups: ['/admins'] })
    bearers.foreignKey = await realm.signAccessToken(claims, { foreignKey: true })
    bearers.otherClient = await realm.signAccessToken({ ...claims, azp: 'someone-else' })
    bearers.garbage = 'a.b.c'
  })
  afterAll(async () => {
    await p.close()
    await realm.close()
  })

  const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
  const requestArb = fc.record({
    endpoint: fc.constantFrom('/oauth2/auth', '/oauth2/forward-auth'),
    query: fc.constantFrom('', '?allowed_groups=nobody', '?allowed_groups=staff'),
    path: fc.constantFrom('/', '/x?y=1', '/public/a', '/internal', '/admin/z', '/a b'),
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS'),
    host: fc.constantFrom('app.example.test', 'evil.example.org'),
    accept: opt(fc.constantFrom('text/html', 'text/html,application/xhtml+xml,*/*;q=0.8', 'application/json', '*/*', 'image/webp,*/*', '')),
    xrw: opt(fc.constantFrom('XMLHttpRequest', 'xmlhttprequest', 'fetch')),
    secFetchMode: opt(fc.constantFrom('navigate', 'cors', 'no-cors')),
    secFetchDest: opt(fc.constantFrom('document', 'empty', 'image')),
    cookie: opt(fc.constantFrom('valid', 'admin', 'expired', 'garbage')),
    bearer: opt(fc.constantFrom('valid', 'admin', 'foreignKey', 'otherClient', 'garbage')),
    identityHeader: fc.boolean(),
    originalMissing: fc.boolean(),
  })

  it('status, headers and body match for every combination', async () => {
    await assertAsyncProperty(
      fc.asyncProperty(requestArb, async (r) => {
        const headers: Record<string, string> = {}
        const url = `https://${r.host}${r.path}`
        if (r.endpoint === '/oauth2/auth') {
          if (!r.originalMissing) headers['x-original-url'] = url
          headers['x-original-method'] = r.method
        } else {
          headers['x-forwarded-proto'] = 'https'
          headers['x-forwarded-host'] = r.host
          if (!r.originalMissing) headers['x-forwarded-uri'] = r.path
          headers['x-forwarded-method'] = r.method
        }
        if (r.accept !== undefined) headers.accept = r.accept
        if (r.xrw !== undefined) headers['x-requested-with'] = r.xrw
        if (r.secFetchMode !== undefined) headers['sec-fetch-mode'] = r.secFetchMode
        if (r.secFetchDest !== undefined) headers['sec-fetch-dest'] = r.secFetchDest
        if (r.cookie !== undefined) headers.cookie = cookies[r.cookie]!
        if (r.bearer !== undefined) headers.authorization = `Bearer ${bearers[r.bearer]}`
        if (r.identityHeader) headers['x-auth-request-user'] = 'boss'
        await expectAlike(p, r.endpoint + r.query, headers)
      }),
      60,
    )
  })
})
