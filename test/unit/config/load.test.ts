import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildConfig, decodeSecret, loadConfig } from '../../../src/config/load.js'
import { createRegistry } from '../../../src/registry.js'
import { ConfigError } from '../../../src/errors.js'
import { parseDuration } from '../../../src/config/duration.js'

const SECRET = Buffer.alloc(32, 7).toString('base64')
const valid = () => ({
  server: { listen: '127.0.0.1:4180', publicUrl: 'https://auth.example.com' },
  cookie: { secret: SECRET, domains: ['.example.com'] },
  providers: [{ id: 'corp', type: 'keycloak', issuer: 'https://sso.example.com/realms/corp', clientId: 'gatehouse', clientSecret: 'x' }],
  authorization: {},
})

async function problems(input: unknown, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await buildConfig(input, { env })
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('config', () => {
  it('accepts a valid config, applies defaults and freezes it', async () => {
    const config = await buildConfig(valid(), { env: {} })
    expect(config.cookie.secure).toBe(true)
    expect(config.cookie.expireSeconds).toBe(168 * 3600)
    expect(config.server.trustedProxies).toEqual(['127.0.0.1/32', '::1/128'])
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.cookie.domains)).toBe(true)
  })

  it('reports every problem at once, each with its key path', async () => {
    const bad = valid() as any
    bad.server.publicUrl = 'ftp://x'
    bad.cookie.secret = 'c2hvcnQ='
    bad.cookie.sameSite = 'sometimes'
    bad.cookie.expire = 'forever'
    bad.redirect = { allowedDomain: ['x'] }
    bad.providers.push({ id: 'corp', type: 'nope' })
    bad.providers[0].clientId = ''
    const list = await problems(bad)
    expect(list).toEqual(expect.arrayContaining([
      expect.stringMatching(/^server\.publicUrl: /),
      expect.stringMatching(/^cookie\.sameSite: /),
      expect.stringMatching(/^cookie\.expire: /),
      expect.stringMatching(/^redirect: unknown key\(s\) "allowedDomain"/),
    ]))
    expect(list.length).toBeGreaterThanOrEqual(4)
  })

  it('checks the secret length, providers and ids once the shape is right', async () => {
    const bad = valid() as any
    bad.cookie.secret = Buffer.alloc(16).toString('base64')
    bad.cookie.previousSecrets = ['nope']
    bad.providers.push({ id: 'corp', type: 'nope' }, { id: 'kc2', type: 'keycloak', issuer: 'https://sso.example.com/nope', clientId: 'a', clientSecret: 'b', colour: 'red' })
    bad.server.trustedProxies = ['10.0.0.0/33', 'banana']
    const list = await problems(bad)
    expect(list).toEqual(expect.arrayContaining([
      expect.stringMatching(/^cookie\.secret: must be 32 random bytes/),
      expect.stringMatching(/^cookie\.previousSecrets\[0\]: /),
      'providers[1].id: duplicate provider id "corp"',
      expect.stringMatching(/^providers\[1\]\.type: unknown provider type "nope".*known types: oidc, keycloak/),
      expect.stringMatching(/^providers\[2\]\.issuer: must be a realm URL/),
      expect.stringMatching(/^providers\[2\]\.colour: unknown option/),
      expect.stringMatching(/^server\.trustedProxies\[0\]: /),
      expect.stringMatching(/^server\.trustedProxies\[1\]: /),
    ]))
  })

  it('interpolates ${VAR} and ${VAR:-default}, and names unset variables', async () => {
    const input = valid() as any
    input.cookie.secret = '${GH_SECRET}'
    input.providers[0].clientSecret = '${KC_SECRET}'
    input.providers[0].clientId = '${KC_CLIENT:-gatehouse}'
    const config = await buildConfig(input, { env: { GH_SECRET: SECRET, KC_SECRET: 'kc' } })
    expect((config.providers[0]!.options as any).clientSecret).toBe('kc')
    expect((config.providers[0]!.options as any).clientId).toBe('gatehouse')
    expect(await problems(input, { GH_SECRET: SECRET })).toContain('providers[0].clientSecret: environment variable KC_SECRET is not set')
  })

  it('reports a missing variable once, naming every key that uses it, without the follow-up problems', async () => {
    const input = valid() as any
    input.cookie.secret = '${NO_SECRET}'
    input.cookie.previousSecrets = ['${NO_SECRET}']
    input.server.publicUrl = '${NO_URL}'
    expect(await problems(input)).toEqual([
      'server.publicUrl: environment variable NO_URL is not set',
      'cookie.secret, cookie.previousSecrets[0]: environment variable NO_SECRET is not set',
    ])
  })

  it.each([
    ['sso.example.com', /^providers\[0\]\.issuer: must be an absolute URL such as https:\/\/sso\.example\.com$/],
    ['http://sso.example.com/realms/corp', /^providers\[0\]\.issuer: is http: use https, or set allowInsecureRequests: true/],
    ['https://sso.example.com/auth', /^providers\[0\]\.issuer: must be a realm URL/],
  ])('keycloak issuer %s is one problem with its key path', async (issuer, message) => {
    const input = valid() as any
    input.providers[0].issuer = issuer
    expect(await problems(input)).toEqual([expect.stringMatching(message)])
  })

  it.each(['oidc', 'google'])('an http %s issuer needs allowInsecureRequests (discovery would refuse it)', async (type) => {
    const input = valid() as any
    input.providers = [{ id: 'p', type, issuer: 'http://127.0.0.1:9/', clientId: 'c', clientSecret: 's' }]
    expect(await problems(input)).toEqual([expect.stringMatching(/^providers\[0\]\.issuer: is http: /)])
    input.providers[0].allowInsecureRequests = true
    expect(await problems(input)).toEqual([])
  })

  it('names unreadable files: a plugin module and a Google service-account key', async () => {
    const input = valid() as any
    input.providers.push(
      { id: 'plug', type: './no-such-plugin.js' },
      { id: 'g', type: 'google', clientId: 'c', clientSecret: 's', groups: ['sre@example.com'], adminEmail: 'a@example.com', serviceAccount: '/nonexistent/key.json' },
    )
    expect(await problems(input)).toEqual([
      expect.stringMatching(/^providers\[1\]\.type: .*plugin could not be loaded \((ERR_)?MODULE_NOT_FOUND\)/),
      expect.stringMatching(/^providers\[2\]\.serviceAccount: cannot read the key \(ENOENT\)/),
    ])
  })

  it('a plugin whose option check throws gives a problem, not a crash', async () => {
    const registry = createRegistry([{ type: 'boom', displayName: 'Boom', parseOptions: () => { throw new TypeError('Invalid URL') }, create: () => { throw new Error('unused') } } as any])
    const input = valid() as any
    input.providers = [{ id: 'b', type: 'boom' }]
    await expect(buildConfig(input, { env: {}, registry })).rejects.toMatchObject({
      problems: ['providers[0]: the boom provider could not check its options (Invalid URL)'],
    })
  })

  it('reports YAML syntax errors as file:line:column, without the parser\'s dangling excerpt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-yaml-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, 'server:\n  publicUrl: x\n  listen: [\n')
    await expect(loadConfig(file)).rejects.toMatchObject({
      problems: [`${file}:4:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`],
    })
    writeFileSync(file, 'a: 1\na: 2\n')
    const err = (await loadConfig(file).catch((e) => e)) as ConfigError
    expect(err.problems).toEqual([`${file}:2:1: YAML syntax error: Map keys must be unique`])
    for (const p of err.problems) expect(p).not.toMatch(/at line|column \d+:|\n/)
  })

  it('rejects cookie domains that do not cover the public URL', async () => {
    const input = valid() as any
    input.cookie.domains = ['.other.com']
    expect(await problems(input)).toContain('cookie.domains[0]: ".other.com" does not cover the publicUrl host auth.example.com')
  })

  it('decodes base64 and base64url secrets of exactly 32 bytes', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i))
    expect(decodeSecret(bytes.toString('base64'))).toEqual(bytes)
    expect(decodeSecret(bytes.toString('base64url'))).toEqual(bytes)
    expect(decodeSecret(bytes.subarray(0, 31).toString('base64'))).toBeUndefined()
    expect(decodeSecret('x'.repeat(43) + '!')).toBeUndefined()
  })

  it.each(['shutdownDelay', 'shutdownGracePeriod'])('server.%s: a duration, or a problem naming the key', async (key) => {
    for (const value of ['soon', '-5s', '5', 5, '', '1h 30m']) {
      const bad = valid() as any
      bad.server[key] = value
      const found = await problems(bad)
      expect(found).toHaveLength(1)
      expect(found[0]).toMatch(new RegExp(`^server\\.${key}: `))
    }
    const ok = valid() as any
    ok.server[key] = '1m30s'
    const config = await buildConfig(ok, { env: {} })
    expect(key === 'shutdownDelay' ? config.server.shutdownDelayMs : config.server.shutdownGraceMs).toBe(90_000)
  })

  it('parses durations', () => {
    expect(parseDuration('1h30m')).toBe(5400)
    expect(parseDuration('500ms')).toBe(0.5)
    expect(parseDuration('7')).toBeUndefined()
    expect(parseDuration('1x')).toBeUndefined()
  })
})
