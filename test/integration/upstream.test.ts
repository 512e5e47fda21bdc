import { createServer, request as httpRequest, type Server } from 'node:http'
import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { sessionCookie } from '../helpers/session.js'

/** Echoes the headers it received as JSON; accepts WebSocket upgrades and reports their headers. */
function startEcho(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, method: req.method, headers: req.headers }))
  })
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
    socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Seen-Email: ${req.headers['x-auth-request-email'] ?? ''}\r\n\r\n`)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })))
}

function upgrade(url: string, headers: Record<string, string>): Promise<string> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      const lines = Object.entries({ Host: u.host, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers })
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')
      socket.write(`GET ${u.pathname} HTTP/1.1\r\n${lines}\r\n\r\n`)
    })
    let data = ''
    socket.setTimeout(3000, () => reject(new Error('timeout')))
    socket.on('data', (c) => {
      data += c
      if (data.includes('\r\n\r\n')) {
        socket.destroy()
        resolve(data)
      }
    })
    socket.on('end', () => resolve(data))
    socket.on('error', reject)
  })
}

describe('upstream mode', () => {
  let gh: Gatehouse
  let echo: { server: Server; url: string }
  beforeAll(async () => {
    echo = await startEcho()
    const port = await freePort()
    gh = await startGatehouse(
      await buildConfig({
        server: { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}` },
        cookie: { secret: randomSecret() },
        providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
        authorization: {},
        upstream: echo.url,
        logging: { level: 'silent' },
      }),
      { logger: createLogger('silent') },
    )
  })
  afterAll(async () => {
    await gh.close()
    echo.server.closeAllConnections()
    await new Promise((r) => echo.server.close(r))
  })

  it('proxies an allowed request with Gatehouse identity headers only', async () => {
    const res = await request(gh.url)
      .get('/app/page?x=1')
      .set({
        Cookie: sessionCookie(gh.runtime()),
        'X-Auth-Request-Email': 'boss@corp.test',
        'X-Auth-Request-Access-Token': 'forged',
        'X_Auth_Request_Groups': 'admins',
        'x-forwarded-email': 'boss@corp.test',
        'Remote-User': 'boss',
      })
    expect(res.status).toBe(200)
    expect(res.body.path).toBe('/app/page?x=1')
    const h = res.body.headers as Record<string, string>
    expect(h['x-auth-request-email']).toBe('alice@example.com')
    expect(h['x-auth-request-groups']).toBe('staff,sre')
    expect(h['x-auth-request-access-token']).toBeUndefined()
    expect(h['x_auth_request_groups']).toBeUndefined()
    expect(h['x-forwarded-email']).toBeUndefined()
    expect(h['remote-user']).toBeUndefined()
  })

  it('redirects a browser without a session to sign in, and answers API clients 401', async () => {
    const nav = await request(gh.url).get('/app').set('Accept', 'text/html')
    expect(nav.status).toBe(302)
    expect(nav.headers.location).toBe(`${gh.url.replace('127.0.0.1', '127.0.0.1')}/oauth2/start?rd=${encodeURIComponent(gh.url + '/app')}`)
    const api = await request(gh.url).get('/app').set('Accept', 'application/json')
    expect(api.status).toBe(401)
    const post = await request(gh.url).post('/app').set('Accept', 'text/html').send('x=1')
    expect(post.status).toBe(303)
    expect(post.headers.location).toMatch(/\/oauth2\/start\?rd=/)
  })

  it('forbids users outside the authorization settings', async () => {
    const cookie = sessionCookie(gh.runtime(), { provider: 'gone' })
    const res = await request(gh.url).get('/app').set({ Cookie: cookie, Accept: 'application/json' })
    expect(res.status).toBe(403)
    // A browser navigation goes on to the forbidden page, which names the account.
    const page = await request(gh.url).get('/app').set({ Cookie: cookie, Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' })
    expect(page.status).toBe(302)
    expect(page.headers.location).toBe(`${gh.url}/oauth2/forbidden?rd=${encodeURIComponent(`${gh.url}/app`)}`)
    const forbidden = await request(gh.url).get('/oauth2/forbidden').set({ Cookie: cookie, Accept: 'text/html' })
    expect(forbidden.status).toBe(403)
    expect(forbidden.text).toContain('alice@example.com')
  })

  it('authorises WebSocket upgrades by session and strips smuggled headers', async () => {
    const denied = await upgrade(`${gh.url}/ws`, {})
    expect(denied.startsWith('HTTP/1.1 401')).toBe(true)
    const ok = await upgrade(`${gh.url}/ws`, { Cookie: sessionCookie(gh.runtime()), 'X-Auth-Request-Email': 'boss@corp.test' })
    expect(ok.startsWith('HTTP/1.1 101')).toBe(true)
    expect(ok.toLowerCase()).toContain('x-seen-email: alice@example.com')
  })

  it('keeps its own paths', async () => {
    expect((await request(gh.url).get('/ping')).text).toBe('OK')
  })
})
