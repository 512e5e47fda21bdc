import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { buildConfig } from '../../../src/config/load.js'
import { createMetrics } from '../../../src/metrics.js'
import { createSessionCookies, type ActiveSession } from '../../../src/session/session.js'
import { createCredentialCache } from '../../../src/tokens/cache.js'
import { checkProperty } from '../../helpers/property.js'
import { identity } from '../../helpers/session.js'
import { randomSecret } from '../../helpers/stack.js'

const configFor = (publicUrl: string, cookie: Record<string, unknown> = {}) =>
  buildConfig({
    server: { publicUrl },
    cookie: { secret: randomSecret(), ...cookie },
    providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
    authorization: {},
  })

async function sessionsFor(publicUrl: string, cookie: Record<string, unknown> = {}) {
  const config = await configFor(publicUrl, cookie)
  const cache = createCredentialCache<ActiveSession>({ name: 'session', maxEntries: 100, maxTtlSeconds: 60, metrics: createMetrics() })
  return { config, sessions: createSessionCookies(config, cache) }
}

/** `name=value` pairs of the Set-Cookie values that write (not clear) a cookie. */
const pairsOf = (setCookies: string[]) => setCookies.map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('='))
const load = async (s: Awaited<ReturnType<typeof sessionsFor>>['sessions'], header: string) => await s.load(header)

describe('session cookie attributes', () => {
  it('writes a __Host- cookie, Secure, host-only, Path=/ on https without a domain', async () => {
    const { sessions, config } = await sessionsFor('https://auth.example.com')
    expect(config.cookie.name).toBe('__Host-_gatehouse')
    const [c] = sessions.write(sessions.create({ identity: identity() }), undefined)
    expect(c).toMatch(/^__Host-_gatehouse=[^;]+; Path=\/; Max-Age=\d+; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/)
    expect(c).not.toMatch(/Domain=/)
  })

  it('writes a __Secure- cookie with its Domain when a domain is configured', async () => {
    const { sessions, config } = await sessionsFor('https://auth.example.com', { domains: ['.example.com'] })
    expect(config.cookie.name).toBe('__Secure-_gatehouse')
    const [c] = sessions.write(sessions.create({ identity: identity() }), undefined)
    expect(c).toMatch(/^__Secure-_gatehouse=[^;]+; Path=\/; Domain=\.example\.com; .*; Secure; SameSite=Lax$/)
  })

  it('keeps the plain name and drops Secure on an http publicUrl', async () => {
    const { sessions, config } = await sessionsFor('http://localhost:4180')
    expect(config.cookie.name).toBe('_gatehouse')
    const [c] = sessions.write(sessions.create({ identity: identity() }), undefined)
    expect(c).toMatch(/^_gatehouse=/)
    expect(c).not.toMatch(/Secure/)
  })

  it('keeps an explicitly configured name', async () => {
    const { sessions } = await sessionsFor('https://auth.example.com', { name: 'my_session' })
    expect(sessions.write(sessions.create({ identity: identity() }), undefined)[0]).toMatch(/^my_session=.*; Secure;/)
  })
})

describe('the unprefixed cookie of an earlier default', () => {
  it('is cleared at the next login and at sign-out, with its chunks but not state cookies', async () => {
    const { sessions } = await sessionsFor('https://auth.example.com', { domains: ['.example.com'] })
    const header = '_gatehouse=old; _gatehouse_1=x; _gatehouse_csrf_abc=s; other=1'
    const cleared = (set: string[]) => set.filter((c) => /Max-Age=0/.test(c)).map((c) => c.split('=')[0] + (/Domain=/.test(c) ? '@domain' : ''))
    const written = sessions.write(sessions.create({ identity: identity() }), header)
    expect(written[written.length - 1]).toMatch(/^__Secure-_gatehouse=1\./)
    expect(cleared(written).sort()).toEqual(['_gatehouse', '_gatehouse@domain', '_gatehouse_1', '_gatehouse_1@domain'])
    expect(cleared(sessions.clear(header))).toEqual(expect.arrayContaining(['_gatehouse', '_gatehouse_1', '__Secure-_gatehouse']))
    expect(cleared(sessions.clear(header))).not.toContain('_gatehouse_csrf_abc')
  })

  it('is left alone when the configured name is the unprefixed one', async () => {
    const { sessions } = await sessionsFor('http://localhost:4180')
    const written = sessions.write(sessions.create({ identity: identity() }), 'theme=dark')
    expect(written).toHaveLength(1)
  })
})

describe('session cookie reading', () => {
  it('loads one intact cookie, and chunks in order', async () => {
    const { sessions } = await sessionsFor('https://auth.example.com')
    const header = pairsOf(sessions.write(sessions.create({ identity: identity() }), undefined)).join('; ')
    expect((await load(sessions, header))?.session.identity.subject).toBe('u-1')
    const big = sessions.create({ identity: identity({ groups: Array.from({ length: 400 }, (_, i) => `group-${i}-with-a-long-name`) }) })
    const chunks = pairsOf(sessions.write(big, undefined))
    expect(chunks.length).toBeGreaterThan(1)
    expect((await load(sessions, chunks.join('; ')))?.session.id).toBe(big.id)
  })

  it('reads two cookies of our name, in any order and position, as no session', async () => {
    const { sessions } = await sessionsFor('http://auth.example.com')
    const real = pairsOf(sessions.write(sessions.create({ identity: identity({ subject: 'victim' }) }), undefined))[0]!
    const planted = pairsOf(sessions.write(sessions.create({ identity: identity({ subject: 'attacker' }) }), undefined))[0]!
    const others = fc.array(fc.constantFrom('a=1', 'theme=dark', '_gatehouse_csrf_abc=x', 'x_gatehouse=y'), { maxLength: 3 })
    const headers: string[] = []
    checkProperty(
      fc.property(others, others, others, fc.boolean(), (a, b, c, plantedFirst) => {
        const [first, second] = plantedFirst ? [planted, real] : [real, planted]
        headers.push([...a, first, ...b, second, ...c].join('; '))
      }),
      50,
    )
    for (const header of headers) expect(await load(sessions, header)).toBeUndefined()
  })

  it('reads a planted chunk set next to a single cookie, or a doubled chunk, as no session', async () => {
    const { sessions } = await sessionsFor('http://auth.example.com')
    const single = pairsOf(sessions.write(sessions.create({ identity: identity() }), undefined))[0]!
    const big = sessions.create({ identity: identity({ groups: Array.from({ length: 400 }, (_, i) => `group-${i}-with-a-long-name`) }) })
    const chunks = pairsOf(sessions.write(big, undefined))
    expect(await load(sessions, [single, ...chunks].join('; '))).toBeUndefined()
    expect(await load(sessions, [...chunks, single].join('; '))).toBeUndefined()
    expect(await load(sessions, [...chunks, chunks[1]!].join('; '))).toBeUndefined()
    expect(await load(sessions, [chunks[0]!, ...chunks].join('; '))).toBeUndefined()
  })

  it('does not read a cookie whose name merely ends in ours', async () => {
    const { sessions } = await sessionsFor('http://auth.example.com')
    const pair = pairsOf(sessions.write(sessions.create({ identity: identity() }), undefined))[0]!
    expect(await load(sessions, 'x' + pair)).toBeUndefined()
  })
})
