import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import type { IncomingHttpHeaders } from 'node:http'
import { FORWARDING_HEADERS, METHOD_OVERRIDE_HEADERS, prepareUpstreamHeaders } from '../../../src/headers/forwarding.js'
import { canonicalHeaderName, identityCheckFor, isIdentityHeader } from '../../../src/headers/strip.js'
import { configSchema } from '../../../src/config/schema.js'
import { headerMapping } from '../../../src/headers/mapping.js'
import { identity as makeIdentity } from '../../helpers/session.js'
import { pairsOf } from '../../helpers/headers.js'

const alice = makeIdentity()
import { assertProperty, spellings } from '../../helpers/property.js'

const PUBLIC = new URL('https://app.example.com')
const prepare = (headers: IncomingHttpHeaders, trusted = false) => {
  prepareUpstreamHeaders(headers, {
    peer: '::ffff:10.0.0.9',
    trusted,
    publicUrl: PUBLIC,
    isIdentityHeader,
    identity: ['X-Auth-Request-User', 'alice'],
  })
  return headers
}

describe('prepareUpstreamHeaders', () => {
  it('sets true forwarding headers and Host from publicUrl, whatever the client sent', () => {
    const h = prepare({
      host: 'evil.example.com',
      forwarded: 'for=1.2.3.4;host=evil.example.com;proto=http',
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-host': 'evil.example.com',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '8080',
      'x-forwarded-prefix': '/admin',
      'x-real-ip': '1.2.3.4',
      x_forwarded_host: 'evil.example.com',
    })
    expect(h).toEqual({
      host: 'app.example.com',
      'x-forwarded-for': '10.0.0.9',
      'x-forwarded-host': 'app.example.com',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      'x-auth-request-user': 'alice',
    })
  })

  it('appends to X-Forwarded-For only for a trusted peer', () => {
    expect(prepare({ 'x-forwarded-for': '1.2.3.4' }, true)['x-forwarded-for']).toBe('1.2.3.4, 10.0.0.9')
    expect(prepare({ 'x-forwarded-for': '1.2.3.4' }, false)['x-forwarded-for']).toBe('10.0.0.9')
  })

  it.each([...METHOD_OVERRIDE_HEADERS, ...FORWARDING_HEADERS])('drops the client\'s %s in every spelling', (name) => {
    assertProperty(
      fc.property(spellings(name), (spelled) => {
        const h = prepare({ [spelled.toLowerCase()]: 'DELETE' })
        const left = Object.keys(h).filter((k) => k.replace(/[_.]/g, '-') === name)
        // the only survivor may be the value Gatehouse set itself
        for (const k of left) expect(h[k]).not.toBe('DELETE')
      }),
      30,
    )
  })

  it('replaces client identity headers with Gatehouse\'s', () => {
    const h = prepare({ 'x-auth-request-user': 'boss', x_auth_request_user: 'boss', 'remote-user': 'boss', 'x-webauth-user': 'boss' })
    expect(h['x-auth-request-user']).toBe('alice')
    expect(h.x_auth_request_user).toBeUndefined()
    expect(h['remote-user']).toBeUndefined()
    expect(h['x-webauth-user']).toBeUndefined()
  })

  it('keeps only keep-alive/close/upgrade in Connection', () => {
    expect(prepare({ connection: 'Upgrade, X-Forwarded-For' }).connection).toBe('Upgrade')
    expect(prepare({ connection: 'X-Forwarded-Host' }).connection).toBeUndefined()
  })

  it('states the public URL\'s own port, or the scheme\'s default', () => {
    const run = (publicUrl: string, peer: string | undefined) => {
      const h: IncomingHttpHeaders = { 'x-forwarded-for': '1.2.3.4', connection: 'keep-alive, Close, x-a' }
      prepareUpstreamHeaders(h, { peer, trusted: true, publicUrl: new URL(publicUrl), isIdentityHeader, identity: [] })
      return h
    }
    expect(run('http://app.test', '192.0.2.1')).toEqual({
      host: 'app.test',
      'x-forwarded-for': '1.2.3.4, 192.0.2.1',
      'x-forwarded-host': 'app.test',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '80',
      connection: 'keep-alive, Close',
    })
    const h = run('https://app.test:8443', undefined)
    expect(h.host).toBe('app.test:8443')
    expect(h['x-forwarded-port']).toBe('8443')
    expect(h['x-forwarded-for']).toBeUndefined()
    expect(run('https://app.test', '2001:db8::1')['x-forwarded-for']).toBe('1.2.3.4, 2001:db8::1')
  })

  it('does not extend a chain the client sent as several headers', () => {
    const h: IncomingHttpHeaders = { 'x-forwarded-for': ['1.2.3.4', '5.6.7.8'] as unknown as string }
    prepareUpstreamHeaders(h, { peer: '192.0.2.1', trusted: true, publicUrl: PUBLIC, isIdentityHeader, identity: [] })
    expect(h['x-forwarded-for']).toBe('192.0.2.1')
  })
})

describe('prepareUpstreamHeaders with a header mapping (property)', () => {
  it('for any mapping and any client copies of its names (any spelling, case, duplication), the app sees only Gatehouse\'s values', () => {
    const headerName = fc.stringMatching(/^X-[A-Za-z][A-Za-z0-9-]{0,10}$/)
    const fields = ['user', 'email', 'groups', 'roles', 'preferred_username', 'subject', 'provider', 'access_token'] as const
    assertProperty(
      fc.property(
        fc.subarray(['xauthrequest', 'forwarded'] as const),
        fc.uniqueArray(fc.record({ name: headerName, field: fc.constantFrom(...fields) }), { maxLength: 4, selector: (c) => canonicalHeaderName(c.name) }),
        fc.boolean(),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 })), { minLength: 1, maxLength: 8 }),
        (presets, custom, assertion, pick, copies) => {
          const config = Object.freeze(
            configSchema.shape.headers.parse({ presets, custom, passAccessToken: true, assertion: { enabled: assertion, header: 'X-Gatehouse-Assertion' } }),
          )
          const mapping = headerMapping(config)
          const names = [...mapping.names, ...(assertion ? ['X-Gatehouse-Assertion'] : [])]
          fc.pre(names.length > 0)
          // The client's request: chosen names, each spelled some way, sent once or several times.
          const headers: IncomingHttpHeaders = { host: 'app.example.com', accept: '*/*' }
          copies.forEach(([n, times], i) => {
            const name = names[(n + pick) % names.length]!
            const spelled = fc.sample(spellings(name), { numRuns: 1, seed: n + i })[0]!.toLowerCase()
            const values = Array.from({ length: times + 1 }, (_, k) => `client-${i}-${k}`)
            headers[spelled] = values.length === 1 ? values[0] : spelled === 'set-cookie' ? values : values.join(', ')
          })
          const identity = mapping.withToken(mapping.identity(alice)!, 'gatehouse-token')!
          prepareUpstreamHeaders(headers, {
            peer: '127.0.0.1',
            trusted: false,
            publicUrl: PUBLIC,
            isIdentityHeader: identityCheckFor(config),
            identity: assertion ? [...identity, 'X-Gatehouse-Assertion', 'signed'] : identity,
          })
          expect(JSON.stringify(headers)).not.toContain('client-')
          for (const [name, value] of pairsOf(identity)) expect(headers[name.toLowerCase()]).toBe(value)
        },
      ),
      300,
    )
  })
})
