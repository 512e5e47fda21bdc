import { createHash } from 'node:crypto'
import { createServer, request as httpRequest, type OutgoingHttpHeaders, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { generateKeyPair, SignJWT } from 'jose'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { assertAsyncProperty } from '../helpers/property.js'
import { rawRequest } from '../helpers/raw-http.js'
import { sessionCookie } from '../helpers/session.js'
import { configWith } from './rules-helpers.js'

type Line = Record<string, unknown>

/** A Gatehouse whose log lines are collected; `access()` takes the access-log lines written since the last call. */
async function logged(config: Record<string, unknown>): Promise<{ gh: Gatehouse; lines: Line[]; access: () => Line[] }> {
  const lines: Line[] = []
  const recent: Line[] = []
  const write = (l: string) => {
    const line = JSON.parse(l) as Line
    lines.push(line)
    recent.push(line)
  }
  const gh = await startGatehouse(await buildConfig(config), { logger: createLogger('info', { destination: { write } }) })
  const access = () => recent.splice(0).filter((l) => l.log === 'access')
  return { gh, lines, access }
}

/** One raw request; header arrays go out as repeated lines. */
function send(base: string, path: string, headers: OutgoingHttpHeaders): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** A WebSocket upgrade, written byte for byte; resolves with the head of the answer. */
async function upgrade(base: string, path: string, headers: [string, string][]): Promise<string> {
  const ws: [string, string][] = [
    ['Connection', 'Upgrade'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ]
  return (await rawRequest(base, `GET ${path} HTTP/1.1`, [...ws, ...headers])).head
}

const headerOf = (raw: string, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(raw)?.[1]?.trim()

/** A bearer token whose issuer (the unreachable provider) cannot be asked for keys: the decision fails. */
async function unverifiableToken(issuer: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256')
  return new SignJWT({ azp: 'c', typ: 'Bearer' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setSubject('u')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey)
}

const ISSUER = 'http://127.0.0.1:9/realms/x'
const PROVIDERS = [{ id: 'corp', type: 'keycloak', issuer: ISSUER, clientId: 'c', clientSecret: 's', allowInsecureRequests: true }]
const RULES = [
  { name: 'sre-tools', hosts: ['prometheus.example.com'], require: { groups: ['sre'] } },
  { hosts: ['deny.example.com'], deny: true },
]
const HOSTS = ['app.example.com', 'prometheus.example.com', 'deny.example.com']
const SECRET = Buffer.alloc(32, 7).toString('base64url')

/** The values of a Cookie header's cookies. */
const cookieValues = (header: string | undefined) => (header ?? '').split('; ').filter(Boolean).map((c) => c.slice(c.indexOf('=') + 1))

/** Nothing a client sent as a credential, nor (unless enabled) the user's email, is in any log line. */
function expectNoSecrets(lines: Line[], secrets: (string | undefined)[]): void {
  const text = JSON.stringify(lines)
  for (const s of secrets) if (s) expect({ leaked: text.includes(s), s }).toEqual({ leaked: false, s })
}

describe('logging.accessLog through a running Gatehouse', () => {
  const lines: Record<string, unknown>[] = []
  let gh: Gatehouse
  beforeAll(async () => {
    const logger = createLogger('info', { destination: { write: (l: string) => lines.push(JSON.parse(l)) } })
    gh = await startGatehouse(await configWith({ logging: { level: 'info', accessLog: true }, rules: [{ hosts: ['deny.example.com'], deny: true }] }), { logger })
  })
  afterAll(() => gh.close())

  it('one line per decision, with level names; nothing of the credentials', async () => {
    lines.length = 0
    const headers = { 'x-original-url': 'https://app.example.com/', 'x-request-id': 'req-1' }
    expect((await fetch(`${gh.url}/oauth2/auth`, { headers })).status).toBe(401)
    expect((await fetch(`${gh.url}/oauth2/auth`, { headers: { ...headers, authorization: 'Bearer not-a-jwt' } })).status).toBe(401)
    expect((await fetch(`${gh.url}/oauth2/auth`, { headers: { ...headers, 'x-original-url': 'https://deny.example.com/' } })).status).toBe(403)
    const access = lines.filter((l) => l.log === 'access')
    expect(access).toEqual([
      expect.objectContaining({ level: 'info', msg: 'decision', endpoint: 'auth', result: 'unauthenticated', method: 'none' }),
      expect.objectContaining({ endpoint: 'auth', result: 'invalid_token', method: 'bearer' }),
      expect.objectContaining({ endpoint: 'auth', result: 'forbidden' }),
    ])
    for (const line of access) expect(typeof line.latencyMs).toBe('number')
    expect(JSON.stringify(lines)).not.toContain('not-a-jwt')
  })
})

describe('access-log lines carry rule, provider and request id at every decision site', () => {
  let verify: Awaited<ReturnType<typeof logged>>
  let upstream: Awaited<ReturnType<typeof logged>>
  let echo: Server
  beforeAll(async () => {
    verify = await logged({
      server: { listen: '127.0.0.1:0', publicUrl: 'https://auth.example.com', debugRuleHeader: true },
      cookie: { secret: SECRET },
      providers: PROVIDERS,
      authorization: {},
      rules: RULES,
      logging: { level: 'info', accessLog: true },
    })
    echo = createServer((_req, res) => res.end('app'))
    echo.on('upgrade', (req, socket) => {
      const accept = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
    })
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    upstream = await logged({
      server: { listen: '127.0.0.1:0', publicUrl: 'http://127.0.0.1', debugRuleHeader: true },
      cookie: { secret: SECRET },
      providers: PROVIDERS,
      authorization: {},
      upstream: `http://127.0.0.1:${(echo.address() as { port: number }).port}`,
      logging: { level: 'info', accessLog: true, accessLogEmail: true },
    })
  })
  afterAll(async () => {
    await verify.gh.close()
    await upstream.gh.close()
    echo.closeAllConnections()
    await new Promise((r) => echo.close(r))
  })

  /** The results an answer's status allows (a refusal is 403 on /oauth2/auth, 400 on /oauth2/forward-auth). */
  const RESULT_BY_STATUS: Record<number, string[]> = {
    200: ['allow'],
    202: ['allow'],
    302: ['unauthenticated'],
    401: ['unauthenticated', 'invalid_token'],
    403: ['forbidden', 'refused'],
    400: ['refused'],
  }

  it('verify endpoints, generated requests: exactly one line each, its rule the X-Gatehouse-Rule answer, never a credential or email', async () => {
    const rt = verify.gh.runtime()
    await assertAsyncProperty(
      fc.asyncProperty(
        fc.constantFrom('/oauth2/auth', '/oauth2/forward-auth'),
        fc.constantFrom(...HOSTS),
        fc.oneof(
          fc.constant({ kind: 'none' as const }),
          fc.record({ kind: fc.constant('cookie' as const), groups: fc.subarray(['sre', 'dev']), email: fc.emailAddress() }),
          fc.record({ kind: fc.constant('bearer' as const), token: fc.stringMatching(/^~[A-Za-z0-9._-]{8,40}$/) }), // `~`: never inside a request id
        ),
        fc.option(fc.stringMatching(/^[\w.:-]{1,64}$/), { nil: undefined }),
        fc.boolean(),
        async (path, host, credential, requestId, repeat) => {
          verify.access()
          const url = `https://${host}/x`
          const cookie = credential.kind === 'cookie' ? sessionCookie(rt, { groups: credential.groups, email: credential.email }) : undefined
          const headers: OutgoingHttpHeaders = {
            // a repeated original-request header makes the request refused (original-request.ts)
            ...(path === '/oauth2/auth'
              ? { 'x-original-url': repeat ? [url, url] : url }
              : { 'x-forwarded-host': repeat ? [host, host] : host, 'x-forwarded-proto': 'https', 'x-forwarded-uri': '/x' }),
            ...(cookie && { cookie }),
            ...(credential.kind === 'bearer' && { authorization: `Bearer ${credential.token}` }),
            ...(requestId && { 'x-request-id': requestId }),
          }
          const res = await send(verify.gh.url, path, headers)
          const lines = verify.access()
          expect(lines).toHaveLength(1)
          const line = lines[0]!
          expect(line).toMatchObject({ endpoint: path === '/oauth2/auth' ? 'auth' : 'forward_auth', rule: res.headers['x-gatehouse-rule'] ?? 'default' })
          expect(line.requestId).toBe(requestId)
          expect(RESULT_BY_STATUS[res.status]).toContain(line.result)
          expect(typeof line.latencyMs).toBe('number')
          // a deny rule or a refusal answers before any credential is read: no identity, no provider
          if (credential.kind === 'cookie' && !/^(#1$|refused:)/.test(String(line.rule))) expect(line.method).toBe('cookie')
          expect(line.provider).toBe(line.method === 'cookie' ? 'corp' : undefined)
          expect(line).not.toHaveProperty('email')
          const sent = credential.kind === 'bearer' ? [credential.token] : credential.kind === 'cookie' ? [credential.email, ...cookieValues(cookie)] : []
          expectNoSecrets([line], sent)
        },
      ),
      30,
    )
  })

  it('a fast-path allow, a Koa deny, a refused request and a failed decision: one line each with all the fields', async () => {
    verify.access()
    const rt = verify.gh.runtime()
    const alice = sessionCookie(rt, { groups: ['sre'] })
    const bob = sessionCookie(rt, { groups: ['dev'], email: 'bob@example.com' })
    const at = (host: string) => `https://${host}/`
    const allow = await send(verify.gh.url, '/oauth2/auth', { cookie: alice, 'x-original-url': at('prometheus.example.com'), 'x-request-id': 'r-allow' })
    const deny = await send(verify.gh.url, '/oauth2/forward-auth', { cookie: bob, 'x-forwarded-host': 'prometheus.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-uri': '/', 'x-request-id': 'r-deny' })
    const refused = await send(verify.gh.url, '/oauth2/auth', { 'x-original-url': [at('a.example.com'), at('b.example.com')], 'x-request-id': 'r-refused' })
    const token = await unverifiableToken(ISSUER)
    const failed = await send(verify.gh.url, '/oauth2/auth', { authorization: `Bearer ${token}`, 'x-original-url': at('app.example.com'), accept: 'application/json' })
    expect([allow.status, deny.status, refused.status, failed.status]).toEqual([202, 403, 403, 401])
    const lines = verify.access()
    const latency = { latencyMs: expect.any(Number) }
    expect(lines).toEqual([
      expect.objectContaining({ endpoint: 'auth', result: 'allow', method: 'cookie', rule: 'sre-tools', provider: 'corp', requestId: 'r-allow', ...latency }),
      expect.objectContaining({ endpoint: 'forward_auth', result: 'forbidden', method: 'cookie', rule: 'sre-tools', provider: 'corp', requestId: 'r-deny', ...latency }),
      expect.objectContaining({ endpoint: 'auth', result: 'refused', method: 'none', rule: 'refused:repeated-header', requestId: 'r-refused', ...latency }),
      // the id Gatehouse generated and answered with
      expect.objectContaining({ endpoint: 'auth', result: 'error', method: 'none', requestId: failed.headers['x-request-id'], ...latency }),
    ])
    expect(failed.headers['x-request-id']).toEqual(expect.any(String))
    expectNoSecrets(verify.lines, [...cookieValues(alice), ...cookieValues(bob), token, 'bob@example.com', 'alice@example.com'])
  })

  it('upstream mode (HTTP and WebSocket): one line per decision; the email only because accessLogEmail is on', async () => {
    upstream.access()
    const rt = upstream.gh.runtime()
    const cookie = sessionCookie(rt, { email: 'carol@example.com' })
    const token = await unverifiableToken(ISSUER)
    const allow = await send(upstream.gh.url, '/app', { cookie, 'x-request-id': 'u-allow' })
    const anonymous = await send(upstream.gh.url, '/app', { accept: 'application/json', 'x-request-id': 'u-anon' })
    const failed = await send(upstream.gh.url, '/app', { authorization: `Bearer ${token}`, accept: 'application/json', 'x-request-id': 'u-failed' })
    const wsAllow = await upgrade(upstream.gh.url, '/ws', [['Cookie', cookie], ['X-Request-Id', 'u-ws']])
    const wsFailed = await upgrade(upstream.gh.url, '/ws', [['Authorization', `Bearer ${token}`]])
    expect([allow.status, anonymous.status, failed.status]).toEqual([200, 401, 502])
    expect(failed.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(wsAllow).toMatch(/^HTTP\/1\.1 101/)
    expect(wsFailed).toMatch(/^HTTP\/1\.1 500/)
    const latency = { latencyMs: expect.any(Number) }
    expect(upstream.access()).toEqual([
      expect.objectContaining({ endpoint: 'upstream', result: 'allow', method: 'cookie', rule: 'default', provider: 'corp', requestId: 'u-allow', email: 'carol@example.com', ...latency }),
      expect.objectContaining({ endpoint: 'upstream', result: 'unauthenticated', method: 'none', rule: 'default', requestId: 'u-anon', ...latency }),
      expect.objectContaining({ endpoint: 'upstream', result: 'error', method: 'none', requestId: failed.headers['x-request-id'], ...latency }),
      expect.objectContaining({ endpoint: 'upstream', result: 'allow', method: 'cookie', rule: 'default', provider: 'corp', requestId: 'u-ws', email: 'carol@example.com', ...latency }),
      expect.objectContaining({ endpoint: 'upstream', result: 'error', method: 'none', requestId: headerOf(wsFailed, 'X-Request-Id'), ...latency }),
    ])
    expect(headerOf(wsFailed, 'X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expectNoSecrets(upstream.lines, [...cookieValues(cookie), token])
  })
})
