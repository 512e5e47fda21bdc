/**
 * The verify fast path (routes/verify.ts `fastPath`, composed in server.ts) and the Koa route give
 * the same answer: status, headers (but Date) and body, for allows and denies alike.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { buildGatehouse } from '../../src/server.js'
import { fastPath } from '../../src/routes/verify.js'
import { createLogger } from '../../src/logger.js'
import { configWith } from './rules-helpers.js'
import { sessionCookie } from '../helpers/session.js'

const listen = (server: Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)))

describe('fast path and Koa path answer alike', () => {
  const servers: Server[] = []
  let fastUrl: string
  let koaUrl: string
  let koaCalls = 0
  let cookie: string
  beforeAll(async () => {
    const config = await configWith({
      server: { listen: '127.0.0.1:0', publicUrl: 'https://auth.example.com', debugRuleHeader: true },
      rules: [
        { name: 'internal', paths: ['/internal'], deny: true },
        { name: 'public', paths: ['/public'], allow: 'public' },
      ],
      headers: { passAccessToken: true },
    })
    const built = buildGatehouse(config, { logger: createLogger('silent') })
    const koa = built.koa.callback()
    const counted = (req: IncomingMessage, res: ServerResponse) => {
      koaCalls++
      return koa(req, res)
    }
    servers.push(createServer(fastPath(built.getRuntime, built.shared.metrics, counted)), createServer(koa))
    ;[fastUrl, koaUrl] = await Promise.all(servers.map(listen))
    cookie = sessionCookie(built.getRuntime(), {}, { accessToken: 'at-1' })
  })
  afterAll(async () => {
    for (const s of servers) s.closeAllConnections()
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  })

  const nginx = { 'x-original-url': 'https://app.example.test/x', 'x-original-method': 'GET' }
  const traefik = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/x', 'x-forwarded-method': 'GET' }
  const cases: [string, string, () => Record<string, string>, boolean][] = [
    ['session allow, nginx', '/oauth2/auth', () => ({ ...nginx, cookie }), true],
    ['session allow, forward-auth', '/oauth2/forward-auth', () => ({ ...traefik, cookie }), true],
    ['public allow', '/oauth2/auth', () => ({ ...nginx, 'x-original-url': 'https://app.example.test/public/a' }), true],
    ['anonymous 401', '/oauth2/auth', () => nginx, false],
    ['anonymous navigation, forward-auth', '/oauth2/forward-auth', () => ({ ...traefik, accept: 'text/html' }), false],
    ['deny rule', '/oauth2/auth', () => ({ ...nginx, 'x-original-url': 'https://app.example.test/internal', cookie }), false],
    ['refused', '/oauth2/forward-auth', () => ({ ...traefik, 'x-remote-user': 'boss', cookie }), false],
    ['allowed_groups not met', '/oauth2/auth?allowed_groups=nobody', () => ({ ...nginx, cookie }), false],
  ]

  it.each(cases)('%s', async (_name, path, headers, fast) => {
    const before = koaCalls
    const [a, b] = await Promise.all([request(fastUrl).get(path).set(headers()), request(koaUrl).get(path).set(headers())])
    const strip = (h: Record<string, string>) => {
      const { date: _d, ...rest } = h
      return rest
    }
    expect(a.status).toBe(b.status)
    expect(strip(a.headers)).toEqual(strip(b.headers))
    expect(a.text).toEqual(b.text)
    // allows never touched Koa on the fast server; denies went through it
    expect(koaCalls - before).toBe(fast ? 0 : 1)
  })
})
