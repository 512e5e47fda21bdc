/**
 * The headers a mapping sets never carry a client's value, over real HTTP: upstream mode strips every
 * client copy (any spelling, repeated lines, which Node folds into one value) before adding Gatehouse's;
 * the verify endpoints refuse a request carrying one, so a proxy never passes it on.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { sessionCookie } from '../helpers/session.js'
import { rawRequest } from '../helpers/raw-http.js'
import { assertAsyncProperty, spellings } from '../helpers/property.js'

const CUSTOM = [
  { name: 'X-WEBAUTH-USER', field: 'preferred_username' },
  { name: 'X-App-Roles', field: 'roles', separator: ' ' },
  { name: 'X-App-Token', field: 'access_token' },
  { name: 'Remote-Groups', field: 'groups' },
]
const MAPPED = [
  ...['User', 'Email', 'Groups', 'Preferred-Username', 'Access-Token'].flatMap((s) => [`X-Auth-Request-${s}`, `X-Forwarded-${s}`]),
  'X-Auth-Request-Roles',
  ...CUSTOM.map((c) => c.name),
  'X-Signed-Identity',
]

let app: Server
let seen: IncomingHttpHeaders[] = []
let gh: Gatehouse
let cookie: string

beforeAll(async () => {
  app = createServer((req, res) => {
    seen.push(req.headers)
    res.end('ok')
  })
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
  const port = await freePort()
  gh = await startGatehouse(
    await buildConfig({
      server: { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}`, trustedProxies: [] },
      cookie: { secret: randomSecret() },
      providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
      authorization: {},
      headers: { presets: ['xauthrequest', 'forwarded'], passAccessToken: true, roles: true, custom: CUSTOM, assertion: { enabled: true, header: 'X-Signed-Identity' } },
      upstream: `http://127.0.0.1:${(app.address() as { port: number }).port}`,
      logging: { level: 'silent' },
    }),
    { logger: createLogger('silent') },
  )
  cookie = sessionCookie(gh.runtime(), {}, { accessToken: 'gatehouse-token', accessExpiresAt: Math.floor(Date.now() / 1000) + 3600 })
})
afterAll(async () => {
  await gh.close()
  app.closeAllConnections()
  await new Promise((r) => app.close(r))
})

/** Client copies of mapped names: each spelled some way, sent on one or several lines. */
const forged = fc.array(
  fc.tuple(fc.constantFrom(...MAPPED).chain((name) => spellings(name)), fc.integer({ min: 1, max: 3 })),
  { minLength: 1, maxLength: 6 },
).map((picks) => picks.flatMap(([name, times], i) => Array.from({ length: times }, (_, k) => [name, `forged-${i}-${k}`] as [string, string])))

describe('mapped headers never come from the client', () => {
  it('upstream mode: the app sees only Gatehouse\'s values, whatever copies the client sent (property)', async () => {
    await assertAsyncProperty(
      fc.asyncProperty(forged, async (headers) => {
        seen = []
        const res = await rawRequest(gh.url, 'GET /page HTTP/1.1', [['Cookie', cookie], ...headers])
        expect(res.status).toBe(200)
        expect(seen).toHaveLength(1)
        const got = seen[0]!
        expect(JSON.stringify(got)).not.toContain('forged')
        expect(got['x-webauth-user']).toBe('alice')
        expect(got['x-forwarded-user']).toBe('u-1')
        expect(got['x-app-roles']).toBe('admin')
        expect(got['x-app-token']).toBe('gatehouse-token')
        expect(typeof got['x-signed-identity']).toBe('string')
      }),
      40,
    )
  })

  it('verify endpoint: a request carrying a copy is refused, never allowed with it (property)', async () => {
    await assertAsyncProperty(
      fc.asyncProperty(forged, async (headers) => {
        const res = await rawRequest(gh.url, 'GET /oauth2/auth HTTP/1.1', [['Cookie', cookie], ...headers])
        expect(res.status).toBe(403)
        expect(res.head).not.toContain('forged')
      }),
      40,
    )
  })

  it('an identity value with CR/LF or another control character is a deny (403), never a header: verify and upstream', async () => {
    for (const over of [{ preferredUsername: 'alice\r\nX-Evil: 1' }, { email: 'a@b.c\u0000' }, { user: 'u\u0085' }]) {
      const bad = sessionCookie(gh.runtime(), over)
      seen = []
      const verify = await rawRequest(gh.url, 'GET /oauth2/auth HTTP/1.1', [['Cookie', bad]])
      expect([over, verify.status]).toEqual([over, 403])
      expect(verify.head).not.toMatch(/x-evil/i)
      const proxied = await rawRequest(gh.url, 'GET /page HTTP/1.1', [['Cookie', bad], ['Accept', 'application/json']])
      expect([over, proxied.status]).toEqual([over, 403])
      expect(seen).toHaveLength(0)
    }
    // a group with one is left out of the list, the rest still sent
    seen = []
    const groups = sessionCookie(gh.runtime(), { groups: ['ok', 'bad\r\nX-Evil: 1'] })
    expect((await rawRequest(gh.url, 'GET /page HTTP/1.1', [['Cookie', groups]])).status).toBe(200)
    expect(seen[0]!['x-auth-request-groups']).toBe('ok')
  })
})
