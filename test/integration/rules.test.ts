import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import type { Gatehouse } from '../../src/server.js'
import { cookieFor, start } from './rules-helpers.js'

const RULES = [
  { name: 'lb-health', hosts: ['grafana.example.com'], paths: ['/api/health'], methods: ['GET', 'HEAD'], allow: 'public' },
  { name: 'sre-tools', hosts: ['prometheus.example.com', 'alertmanager.example.com'], require: { groups: ['sre'] } },
  { name: 'grafana-admin', hosts: ['grafana.example.com'], paths: ['/admin'], require: { roles: ['grafana-admin'] } },
  { name: 'grafana', hosts: ['grafana.example.com'], require: { emailDomains: ['example.com'] } },
  { name: 'kiali', hosts: ['kiali.example.com'], require: { groups: ['mesh'] } },
  { name: 'cve-shape', hosts: ['docs.example.com'], paths: ['^/foo/.*/bar$'], allow: 'public' },
  { name: 'write-api', hosts: ['api.example.com'], methods: ['POST', 'PUT', 'DELETE'], deny: true },
  { name: 'read-api', hosts: ['api.example.com'], methods: ['GET'], allow: 'public' },
  { name: 'internal', hosts: ['*.example.com'], paths: ['/internal'], deny: true },
]

describe('rules through /oauth2/auth and /oauth2/forward-auth', () => {
  let gh: Gatehouse
  let alice: string // sre, example.com
  let bob: string // no groups, other domain
  beforeAll(async () => {
    gh = await start({ rules: RULES })
    alice = cookieFor(gh, { user: 'alice', email: 'alice@example.com', groups: ['sre'], roles: ['grafana-admin'] })
    bob = cookieFor(gh, { user: 'bob', email: 'bob@other.org', groups: ['dev'] })
  })
  afterAll(() => gh.close())

  const nginx = (url: string, method = 'GET', extra: Record<string, string> = {}, path = '/oauth2/auth') =>
    request(gh.url).get(path).set({ 'x-original-url': url, 'x-original-method': method, ...extra })
  const traefik = (host: string, uri: string, method = 'GET', extra: Record<string, string> = {}) =>
    request(gh.url)
      .get('/oauth2/forward-auth')
      .set({ 'x-forwarded-proto': 'https', 'x-forwarded-host': host, 'x-forwarded-uri': uri, 'x-forwarded-method': method, ...extra })

  it.each([
    // [url, method, cookie, status]
    ['https://grafana.example.com/api/health', 'GET', 'none', 202],
    ['https://grafana.example.com/api/health', 'POST', 'none', 401],
    ['https://prometheus.example.com/', 'GET', 'none', 401],
    ['https://prometheus.example.com/', 'GET', 'bob', 403],
    ['https://prometheus.example.com/', 'GET', 'alice', 202],
    ['https://grafana.example.com/admin', 'GET', 'bob', 403],
    ['https://grafana.example.com/admin', 'GET', 'alice', 202],
    ['https://grafana.example.com/d/1', 'GET', 'alice', 202],
    ['https://grafana.example.com/d/1', 'GET', 'bob', 403],
    ['https://kiali.example.com/', 'GET', 'alice', 403],
    ['https://x.example.com/internal/x', 'GET', 'none', 403],
    ['https://x.example.com/internal/x', 'GET', 'alice', 403],
    ['https://unlisted.example.org/', 'GET', 'none', 401],
    ['https://unlisted.example.org/', 'GET', 'bob', 202],
  ])('%s %s as %s → %d', async (url, method, who, status) => {
    const cookie = who === 'alice' ? alice : who === 'bob' ? bob : ''
    const res = await nginx(url, method, cookie ? { cookie } : {})
    expect(res.status).toBe(status)
  })

  it('public answers carry every identity header, empty, even for a signed-in user', async () => {
    const res = await nginx('https://grafana.example.com/api/health', 'GET', { cookie: alice })
    expect(res.status).toBe(202)
    for (const h of ['x-auth-request-user', 'x-auth-request-email', 'x-auth-request-groups', 'x-auth-request-preferred-username']) {
      expect(res.headers[h]).toBe('')
    }
  })

  it('forward-auth: public 200, deny 403 without a redirect, require → 302 to sign-in for a navigation', async () => {
    expect((await traefik('grafana.example.com', '/api/health')).status).toBe(200)
    const denied = await traefik('x.example.com', '/internal', 'GET', { accept: 'text/html', 'sec-fetch-mode': 'navigate' })
    expect(denied.status).toBe(403)
    expect(denied.headers.location).toBeUndefined()
    const login = await traefik('prometheus.example.com', '/', 'GET', { accept: 'text/html', 'sec-fetch-mode': 'navigate' })
    expect(login.status).toBe(302)
    expect(login.headers.location).toMatch(/^https:\/\/auth\.example\.com\/oauth2\/start/)
  })

  it('query constraints on /oauth2/auth AND the rules', async () => {
    // public AND allowed_groups = the constraint alone: sign in first
    const anon = await request(gh.url).get('/oauth2/auth?allowed_groups=sre').set({ 'x-original-url': 'https://grafana.example.com/api/health' })
    expect(anon.status).toBe(401)
    const noise = await request(gh.url).get('/oauth2/auth?unrelated=1').set({ 'x-original-url': 'https://grafana.example.com/api/health', 'x-original-method': 'GET' })
    expect(noise.status).toBe(202)
    // rule satisfied, constraint not
    const both = await request(gh.url).get('/oauth2/auth?allowed_emails=nobody@example.com').set({ 'x-original-url': 'https://prometheus.example.com/', cookie: alice })
    expect(both.status).toBe(403)
    // constraint satisfied, rule not
    const rule = await request(gh.url).get('/oauth2/auth?allowed_groups=dev').set({ 'x-original-url': 'https://prometheus.example.com/', cookie: bob })
    expect(rule.status).toBe(403)
    const ok = await request(gh.url).get('/oauth2/auth?allowed_groups=sre').set({ 'x-original-url': 'https://prometheus.example.com/', cookie: alice })
    expect(ok.status).toBe(202)
  })

  describe('tricks, each denied', () => {
    it.each([
      ['%2e%2e traversal', 'grafana.example.com', '/api/health/%2e%2e/%2e%2e/admin', 403],
      ['/./ traversal', 'grafana.example.com', '/api/health/./../../admin', 403],
      ['//admin', 'grafana.example.com', '//admin', 403],
      ['mixed-case host', 'PROMETHEUS.Example.COM', '/', 403],
      ['trailing-dot host', 'prometheus.example.com.', '/', 403],
      ['mixed-case trailing-dot wildcard host', 'X.EXAMPLE.COM.', '/internal', 403],
      ['%2f into a public prefix', 'grafana.example.com', '/api%2fhealth', 403],
    ])('%s (bob)', async (_name, host, uri, status) => {
      const res = await traefik(host, uri, 'GET', { cookie: bob })
      expect(res.status).toBe(status)
    })

    it('the CVE shape is public only for the real path: query and %23 do not count (anonymous)', async () => {
      expect((await traefik('docs.example.com', '/foo/a/bar')).status).toBe(200)
      expect((await traefik('docs.example.com', '/foo/critical?param=/bar')).status).toBe(401)
      expect((await traefik('docs.example.com', '/foo/secret%23/bar')).status).toBe(401)
      expect((await nginx('https://docs.example.com/foo/critical?param=/bar')).status).toBe(401)
    })

    it('a raw # fragment in X-Original-URL is refused (403: nginx accepts it, no sign-in loop)', async () => {
      expect((await nginx('https://docs.example.com/foo/secret#/bar')).status).toBe(403)
    })

    it('method override headers and _method do not change the method', async () => {
      const override = { 'x-http-method-override': 'GET', 'x-method-override': 'GET' }
      expect((await nginx('https://api.example.com/items?_method=GET', 'POST', { ...override, cookie: alice })).status).toBe(403)
      expect((await traefik('api.example.com', '/items?_method=GET', 'DELETE', override)).status).toBe(403)
      expect((await nginx('https://grafana.example.com/api/health?_method=GET', 'POST', override)).status).toBe(401)
      expect((await request(gh.url).get('/oauth2/auth?_method=GET').set({ 'x-original-url': 'https://api.example.com/x', 'x-original-method': 'PUT', ...override })).status).toBe(403)
      expect((await nginx('https://api.example.com/items', 'GET')).status).toBe(202)
    })
  })
})

describe('forwarded headers from an untrusted peer', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    // supertest connects from 127.0.0.1, which is not trusted here.
    gh = await start({
      server: { listen: '127.0.0.1:0', publicUrl: 'https://auth.example.com', trustedProxies: ['10.1.2.3/32'] },
      rules: [
        { paths: ['/admin'], deny: true },
        { hosts: ['grafana.example.com'], paths: ['/public'], allow: 'public' },
        { methods: ['OPTIONS'], allow: 'public' },
      ],
      defaultRule: { allow: 'public' },
    })
  })
  afterAll(() => gh.close())

  it('a spoofed X-Forwarded-Uri / X-Original-URL never makes a request public', async () => {
    const spoofs = [
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'grafana.example.com', 'x-forwarded-uri': '/public', 'x-forwarded-method': 'GET' },
      { 'x-original-url': 'https://grafana.example.com/public', 'x-original-method': 'GET' },
      { 'x-forwarded-uri': '/public', 'x-forwarded-method': 'OPTIONS' },
    ]
    for (const headers of spoofs) {
      for (const path of ['/oauth2/auth', '/oauth2/forward-auth']) {
        const res = await request(gh.url).get(path).set(headers)
        expect(res.status).toBe(401)
      }
    }
  })
})
