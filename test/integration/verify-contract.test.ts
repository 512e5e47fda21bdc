/** The deny shapes and forwarded-header rules of forward-auth-protocols.md §6. */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { generateKeyPair, SignJWT } from 'jose'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { sessionCookie } from '../helpers/session.js'

async function start(trustedProxies?: string[], extra: Record<string, unknown> = {}): Promise<Gatehouse> {
  const port = await freePort()
  const config = await buildConfig({
    server: { listen: `127.0.0.1:${port}`, publicUrl: 'https://auth.example.test', ...(trustedProxies ? { trustedProxies } : {}) },
    cookie: { secret: randomSecret(), domains: ['.example.test'] },
    redirect: { allowedDomains: ['.example.test'] },
    providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
    authorization: {},
    logging: { level: 'silent' },
    ...extra,
  })
  return startGatehouse(config, { logger: createLogger('silent') })
}

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const traefik = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'app.example.test', 'X-Forwarded-Uri': '/d/x?tab=1&q=%2F', 'X-Forwarded-Method': 'GET' }
const expectedRd = 'https://app.example.test/d/x?tab=1&q=%2F'

describe('verify endpoints from a trusted proxy', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await start()
  })
  afterAll(() => gh.close())

  const rdOf = (location: string) => new URL(location).searchParams.get('rd')

  it('/oauth2/auth answers 401 with an absolute Location carrying rd, never a 3xx', async () => {
    const res = await request(gh.url).get('/oauth2/auth').set({ 'X-Original-URL': expectedRd, 'X-Original-Method': 'POST', Accept: HTML })
    expect(res.status).toBe(401)
    expect(res.headers.location).toMatch(/^https:\/\/auth\.example\.test\/oauth2\/start\?rd=/)
    expect(rdOf(res.headers.location)).toBe(expectedRd)
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('/oauth2/forward-auth redirects a browser navigation with 302 and keeps the query string', async () => {
    const res = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, Accept: HTML, 'Sec-Fetch-Mode': 'navigate' })
    expect(res.status).toBe(302)
    expect(rdOf(res.headers.location)).toBe(expectedRd)
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('answers 303 for a navigation with another method', async () => {
    const res = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, 'X-Forwarded-Method': 'POST', Accept: HTML })
    expect(res.status).toBe(303)
  })

  it.each([
    ['fetch()', { Accept: '*/*', 'Sec-Fetch-Mode': 'cors' }],
    ['XHR', { Accept: HTML, 'X-Requested-With': 'XMLHttpRequest' }],
    ['API client', { Accept: 'application/json' }],
    ['favicon', { Accept: 'image/avif,image/webp,*/*', 'Sec-Fetch-Mode': 'no-cors' }],
  ])('answers 401 to %s without a session', async (_n, headers) => {
    const res = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, ...headers })
    expect(res.status).toBe(401)
  })

  it('maps ws/wss to http/https and treats an empty X-Forwarded-Proto as absent', async () => {
    const wss = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, 'X-Forwarded-Proto': 'wss', Accept: HTML })
    expect(rdOf(wss.headers.location)).toBe(expectedRd)
    const ws = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, 'X-Forwarded-Proto': 'ws', Accept: HTML })
    expect(rdOf(ws.headers.location)).toBe('http://app.example.test/d/x?tab=1&q=%2F')
    const empty = await request(gh.url).get('/oauth2/forward-auth').set({ 'X-Forwarded-Proto': '', 'X-Forwarded-Host': 'app.example.test', 'X-Forwarded-Uri': '/p', Accept: HTML })
    expect(rdOf(empty.headers.location)).toBe('https://app.example.test/p')
  })

  it('reads only the headers each endpoint\'s proxies overwrite', async () => {
    // Traefik and Caddy relay a client's X-Original-URL; nginx relays a client's X-Forwarded-Uri.
    const fwd = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, 'X-Original-URL': 'https://app.example.test/spoofed', 'X-Original-Method': 'DELETE', Accept: HTML })
    expect(fwd.status).toBe(302)
    expect(rdOf(fwd.headers.location)).toBe(expectedRd)
    const auth = await request(gh.url).get('/oauth2/auth').set({ 'X-Original-URL': expectedRd, 'X-Forwarded-Host': 'app.example.test', 'X-Forwarded-Uri': '/spoofed' })
    expect(rdOf(auth.headers.location)).toBe(expectedRd)
    const none = await request(gh.url).get('/oauth2/auth').set({ 'X-Forwarded-Host': 'app.example.test', 'X-Forwarded-Uri': '/spoofed' })
    expect(rdOf(none.headers.location)).toBeNull()
  })

  it('ignores X-Forwarded-Prefix unless server.trustForwardedPrefix is set', async () => {
    const withPrefix = { ...traefik, 'X-Forwarded-Prefix': '/public', Accept: HTML }
    const res = await request(gh.url).get('/oauth2/forward-auth').set(withPrefix)
    expect(rdOf(res.headers.location)).toBe(expectedRd)
    const trusting = await start(undefined, { server: { listen: '127.0.0.1:0', publicUrl: 'https://auth.example.test', trustForwardedPrefix: true } })
    try {
      const prefixed = await request(trusting.url).get('/oauth2/forward-auth').set(withPrefix)
      expect(rdOf(prefixed.headers.location)).toBe('https://app.example.test/public/d/x?tab=1&q=%2F')
    } finally {
      await trusting.close()
    }
  })

  it('drops an rd whose host is not allowed', async () => {
    const res = await request(gh.url).get('/oauth2/auth').set({ 'X-Original-URL': 'https://evil.test/x' })
    expect(res.status).toBe(401)
    expect(rdOf(res.headers.location)).toBeNull()
  })

  it('allows with 202 / 200 and identity headers, and 403 when a constraint fails', async () => {
    const cookie = sessionCookie(gh.runtime())
    const a = await request(gh.url).get('/oauth2/auth').set('Cookie', cookie)
    expect(a.status).toBe(202)
    expect(a.headers['x-auth-request-groups']).toBe('staff,sre')
    const f = await request(gh.url).get('/oauth2/forward-auth').set('Cookie', cookie)
    expect(f.status).toBe(200)
    const denied = await request(gh.url).get('/oauth2/forward-auth?allowed_groups=kiali').set({ Cookie: cookie, Accept: HTML, 'Sec-Fetch-Mode': 'cors' })
    expect(denied.status).toBe(403)
    expect(denied.text).toContain('not allowed')
    // A browser navigation goes to the forbidden page instead, which names the account; nginx's endpoint never redirects.
    const navigation = { Cookie: cookie, Accept: HTML, 'Sec-Fetch-Mode': 'navigate', 'X-Forwarded-Method': 'GET' }
    const page = await request(gh.url).get('/oauth2/forward-auth?allowed_groups=kiali').set(navigation)
    expect(page.status).toBe(302)
    expect(new URL(page.headers.location!).pathname).toBe('/oauth2/forbidden')
    expect((await request(gh.url).get('/oauth2/auth?allowed_groups=kiali').set(navigation)).status).toBe(403)
    const emptyList = await request(gh.url).get('/oauth2/auth?allowed_groups=').set('Cookie', cookie)
    expect(emptyList.status).toBe(403)
  })

  it('never reads identity from request headers: a client-set identity header is refused (403 to nginx, 400 forward-auth)', async () => {
    const res = await request(gh.url).get('/oauth2/auth').set({ 'X-Auth-Request-User': 'boss', 'X-Forwarded-User': 'boss', 'Remote-User': 'boss', 'User-Agent': 'kube-probe/1.29' })
    expect(res.status).toBe(403)
    expect(res.headers.location).toBeUndefined()
    const fwd = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, Remote_User: 'boss', Accept: HTML })
    expect(fwd.status).toBe(400)
    expect(fwd.headers.location).toBeUndefined()
  })

  it('answers HEAD without a body, and an Upgrade request like any other', async () => {
    const head = await request(gh.url).head('/oauth2/forward-auth').set({ ...traefik, Accept: HTML })
    expect(head.status).toBe(302)
    expect(head.text ?? '').toBe('')
    const upgrade = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, Connection: 'Upgrade', Upgrade: 'websocket', Accept: '*/*' })
    expect(upgrade.status).toBe(401)
  })

  it('answers a GET with a stale Content-Length at once (no body read on verify routes)', async () => {
    const port = new URL(gh.url).port
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /oauth2/auth HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\n')
      })
      let data = ''
      socket.setTimeout(2000, () => reject(new Error('no answer within 2 s: the body was awaited')))
      socket.on('data', (chunk) => {
        data += chunk
        if (data.includes('\r\n\r\n')) {
          socket.destroy()
          resolve(data)
        }
      })
      socket.on('error', reject)
    })
    expect(reply.startsWith('HTTP/1.1 401')).toBe(true)
  })

  it('denies with 401 (never a 5xx) and counts an error decision when the bearer issuer\'s keys cannot be fetched', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const jwt = await new SignJWT({ azp: 'c', typ: 'Bearer' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('http://127.0.0.1:9/realms/x')
      .setSubject('u')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
    const res = await request(gh.url).get('/oauth2/auth').set({ Authorization: `Bearer ${jwt}`, Accept: 'application/json' })
    expect(res.status).toBe(401)
    expect(res.body).toMatchObject({ error: 'DECISION_UNAVAILABLE', requestId: expect.any(String) })
    const text = await gh.metrics.registry.getSingleMetricAsString('gatehouse_decisions_total')
    expect(text).toMatch(/endpoint="auth",result="error",method="none"} [1-9]/)
  })

  it('serves /ping only on its exact path', async () => {
    expect((await request(gh.url).get('/ping')).status).toBe(200)
    expect((await request(gh.url).get('/ping/x')).status).toBe(404)
    expect((await request(gh.url).get('/oauth2/ping')).status).toBe(404)
  })

  it('reports not ready while the IdP cannot be discovered', async () => {
    expect((await request(gh.url).get('/ready')).status).toBe(503)
  })

  it('errors carry a request id and no stack trace', async () => {
    const res = await request(gh.url).get('/oauth2/start').set('Accept', 'application/json')
    expect(res.status).toBe(502)
    expect(res.body).toMatchObject({ error: 'IDP_UNAVAILABLE', requestId: expect.any(String) })
    expect(res.text).not.toMatch(/\bat \S+:\d+|ECONNREFUSED|127\.0\.0\.1:9/)
  })
})

describe('/oauth2/userinfo', () => {
  it('describes the session even where rules deny everything', async () => {
    const gh = await start(undefined, { defaultRule: { deny: true } })
    try {
      const cookie = sessionCookie(gh.runtime())
      expect((await request(gh.url).get('/oauth2/auth').set('Cookie', cookie)).status).toBe(403)
      const info = await request(gh.url).get('/oauth2/userinfo').set('Cookie', cookie)
      expect(info.status).toBe(200)
      expect(info.body).toMatchObject({ email: 'alice@example.com', groups: ['staff', 'sre'] })
      const forbidden = await request(gh.url).get('/oauth2/userinfo').set('Cookie', sessionCookie(gh.runtime(), { provider: 'gone' }))
      expect(forbidden.status).toBe(403)
      expect((await request(gh.url).get('/oauth2/userinfo')).status).toBe(401)
    } finally {
      await gh.close()
    }
  })
})

describe('forwarded headers from an untrusted peer', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await start(['10.1.2.3/32'])
  })
  afterAll(() => gh.close())

  it('ignores X-Original-URL and X-Forwarded-* for the return URL', async () => {
    const res = await request(gh.url).get('/oauth2/auth').set({ 'X-Original-URL': 'https://app.example.test/admin' })
    expect(res.status).toBe(401)
    expect(new URL(res.headers.location).searchParams.get('rd')).toBeNull()
    const fwd = await request(gh.url).get('/oauth2/forward-auth').set({ ...traefik, Accept: HTML })
    expect(new URL(fwd.headers.location).searchParams.get('rd')).toBeNull()
  })
})
