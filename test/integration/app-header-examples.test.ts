/**
 * examples/grafana and examples/kiali against a running Gatehouse: what the ingress copies
 * (auth-response-headers) is what Gatehouse answers, what grafana.ini / grafana-jwt.ini read is
 * among it, and Kiali gets `Authorization: Bearer <the session's access token>`.
 */
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { parse, parseAllDocuments } from 'yaml'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { sessionCookie } from '../helpers/session.js'

const EXAMPLES = join(process.cwd(), 'examples')
const read = (file: string) => readFileSync(join(EXAMPLES, file), 'utf8')

/** grafana.ini: `[section]`, `key = value`, `;` or `#` comments. */
function ini(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {}
  let section = ''
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue
    const head = /^\[(.+)\]$/.exec(line)
    if (head) out[(section = head[1]!)] ??= {}
    else {
      const eq = line.indexOf('=')
      out[section]![line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
    }
  }
  return out
}

/** The headers an example Ingress copies from Gatehouse's answer. */
const copied = (file: string): string[] => {
  const ingress = parseAllDocuments(read(file)).map((d) => d.toJS()).find((d) => d?.kind === 'Ingress')
  return String(ingress.metadata.annotations['nginx.ingress.kubernetes.io/auth-response-headers']).split(',').map((h) => h.trim())
}

/** Grafana's util.SplitString: a JSON list, or names separated by commas and/or spaces. */
const grafanaSplit = (v: string) => v.split(/[\s,]+/).filter(Boolean)

let dir: string
const started: Gatehouse[] = []

/** Starts the example's config as written, except: listen on loopback, trust loopback, key files made here. */
async function startExample(file: string): Promise<Gatehouse> {
  const raw = parse(read(file))
  const port = await freePort()
  raw.server.listen = `127.0.0.1:${port}`
  raw.server.trustedProxies = ['127.0.0.1/32']
  if (raw.headers?.assertion?.keys) raw.headers.assertion.keys = ['current.pem', 'previous.pem']
  const config = await buildConfig(raw, { baseDir: dir, env: { GATEHOUSE_COOKIE_SECRET: randomSecret(), GATEHOUSE_CLIENT_SECRET: 's' } })
  const gh = await startGatehouse(config, { logger: createLogger('silent') })
  started.push(gh)
  return gh
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-examples-'))
  for (const f of ['current.pem', 'previous.pem']) {
    await writeFile(join(dir, f), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }))
  }
})
afterAll(async () => {
  await Promise.all(started.map((g) => g.close()))
  await rm(dir, { recursive: true, force: true })
})

describe('examples/grafana', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await startExample('grafana/gatehouse.yaml')
  })
  const ask = (extra: Record<string, string> = {}) =>
    request(gh.url)
      .get('/oauth2/auth')
      .set({
        'X-Original-URL': 'https://grafana.example.com/d/abc',
        Cookie: sessionCookie(gh.runtime(), { groups: ['grafana-admins', 'sre'], preferredUsername: 'alice' }),
        ...extra,
      })

  it('every header the ingress copies is in Gatehouse\'s 202, and every header grafana.ini reads is copied', async () => {
    const res = await ask()
    expect(res.status).toBe(202)
    const names = copied('grafana/ingress.yaml')
    for (const name of names) expect([name, typeof res.headers[name.toLowerCase()]]).toEqual([name, 'string'])
    const proxy = ini(read('grafana/grafana.ini'))['auth.proxy']!
    const extra = proxy.headers!.split(/\s+/).map((pair) => pair.split(':')[1]!)
    expect(names).toEqual(expect.arrayContaining([proxy.header_name!, ...extra]))
    expect(ini(read('grafana/grafana-jwt.ini'))['auth.jwt']!.header_name).toBe('X-Gatehouse-Assertion')
    expect(names).toContain('X-Gatehouse-Assertion')
  })

  it('auth.proxy: Grafana reads the login, the email and the groups (split as Grafana splits them)', async () => {
    const res = await ask()
    expect(res.headers['x-webauth-user']).toBe('alice')
    expect(res.headers['x-webauth-email']).toBe('alice@example.com')
    expect(grafanaSplit(res.headers['x-webauth-groups'] as string)).toEqual(['grafana-admins', 'sre'])
  })

  it('auth.jwt: the assertion verifies with grafana-jwt.ini\'s settings and carries the claims it maps', async () => {
    const jwt = ini(read('grafana/grafana-jwt.ini'))['auth.jwt']!
    const res = await ask()
    const jwks = createRemoteJWKSet(new URL(new URL(jwt.jwk_set_url!).pathname, gh.url))
    const expected = JSON.parse(jwt.expect_claims!) as { iss: string; aud: string }
    const { payload } = await jwtVerify(res.headers['x-gatehouse-assertion'] as string, jwks, { issuer: expected.iss, audience: expected.aud })
    expect(payload[jwt.username_claim!]).toBe('alice')
    expect(payload[jwt.email_claim!]).toBe('alice@example.com')
    expect(payload[jwt.groups_attribute_path!]).toEqual(['grafana-admins', 'sre'])
    expect(jwt.role_attribute_path).toContain('groups[*]')
  })

  it('a client sending any of those headers, in any spelling, is refused before Grafana is reached', async () => {
    for (const name of ['X-WEBAUTH-USER', 'x_webauth_email', 'X-Webauth-Groups', 'x.gatehouse.assertion']) {
      const res = await ask({ [name]: 'admin' })
      expect([name, res.status]).toEqual([name, 403])
    }
  })
})

describe('examples/kiali', () => {
  it('Kiali\'s header strategy gets Authorization: Bearer <the session\'s access token>, which the ingress copies', async () => {
    expect(copied('kiali/ingress.yaml')).toEqual(['Authorization'])
    expect(parse(read('kiali/kiali-cr.yaml')).spec.auth.strategy).toBe('header')
    const gh = await startExample('kiali/gatehouse.yaml')
    const cookie = sessionCookie(gh.runtime(), { groups: ['sre'] }, { accessToken: 'kiali-access-token', accessExpiresAt: Math.floor(Date.now() / 1000) + 300 })
    const res = await request(gh.url).get('/oauth2/auth').set({ 'X-Original-URL': 'https://kiali.example.com/', Cookie: cookie })
    expect(res.status).toBe(202)
    expect(res.headers.authorization).toBe('Bearer kiali-access-token')
  })
})
