import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import type { IncomingHttpHeaders } from 'node:http'
import {
  ANY_METHOD,
  fromForwarded,
  fromNginx,
  fromUpstream,
  isRefusal,
  readerInputs,
  readOriginal,
  type OriginalRequest,
  type ReadContext,
  type Refusal,
} from '../../../src/request/original-request.js'
import { DEFAULT_IDENTITY_LIKE, identityHeaderCheck } from '../../../src/headers/strip.js'
import { ACCESS_TOKEN_HEADER, IDENTITY_HEADERS } from '../../../src/headers/identity.js'
import { assertProperty, spellings } from '../../helpers/property.js'

const PUBLIC = new URL('https://auth.example.com')
const ctx = (over: Partial<ReadContext> = {}): ReadContext => ({
  trusted: true,
  publicUrl: PUBLIC,
  fallbackScheme: 'https',
  usePrefix: false,
  isIdentityHeader: identityHeaderCheck(),
  ...over,
})

const ok = (r: OriginalRequest | Refusal): OriginalRequest => {
  if (isRefusal(r)) throw new Error(`refused: ${r.refused}`)
  return r
}
const code = (r: OriginalRequest | Refusal) => (isRefusal(r) ? r.refused : 'accepted')

/** Path characters that are visible ASCII, commas and encodings included; no `#`. */
const pathChar = fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;=:@/%2C%2c%2F%5C%2e%3B'.split(''), '%2C', '%2e', '..', ';', ',', '/', '%25')
const path = fc.array(pathChar, { minLength: 0, maxLength: 24 }).map((cs) => '/' + cs.join(''))
const query = fc.option(fc.array(fc.constantFrom('a', '=', '&', ',', '/', '?', '%2C'), { maxLength: 8 }).map((cs) => '?' + cs.join('')), { nil: '' })

describe('fromNginx (X-Original-URL)', () => {
  it('never splits on a comma: /public,/../internal is /internal', () => {
    const r = ok(fromNginx({ 'x-original-url': 'https://app.example.com/public,/../internal' }))
    expect(r.url!.pathname).toBe('/internal')
    expect(r.url!.host).toBe('app.example.com')
  })

  it('property: the whole value is the URL, commas and all (fails if X-Original-URL is ever split)', () => {
    assertProperty(
      fc.property(path, query, fc.constantFrom('http', 'https', 'HTTPS'), (p, q, scheme) => {
        const value = `${scheme}://app.example.com${p}${q}`
        const r = fromNginx({ 'x-original-url': value })
        const expected = new URL(value)
        expect(ok(r).url!.href).toBe(expected.href)
      }),
    )
  })

  it('property: a comma-joined repeat (as Node delivers two headers) is refused, never read as its first part', () => {
    assertProperty(
      fc.property(path, path, (a, b) => {
        const r = fromNginx({ 'x-original-url': `https://app.example.com${a}, https://other.example.com${b}` })
        expect(code(r)).toBe('repeated-header')
      }),
    )
  })

  it('property: whitespace, a control character or non-ASCII anywhere is refused', () => {
    const bad = fc.constantFrom(' ', '\t', '\u0000', '\u0001', '\u000b', '\u007f', '\u00e9', '\u2028')
    assertProperty(
      fc.property(path, bad, fc.nat(), (p, ch, at) => {
        const value = `https://app.example.com${p}`
        const i = 8 + (at % (value.length - 7))
        const r = fromNginx({ 'x-original-url': value.slice(0, i) + ch + value.slice(i) })
        expect(isRefusal(r)).toBe(true)
      }),
    )
  })

  it('property: the value must start with its scheme; anything before it is refused, never skipped to a URL further in', () => {
    const junk = fc.array(fc.constantFrom(...'aZ09/.-_~?@%,;='.split('')), { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''))
    assertProperty(
      fc.property(junk, path, query, (pre, p, q) => {
        expect(isRefusal(fromNginx({ 'x-original-url': `${pre}https://app.example.com${p}${q}` }))).toBe(true)
      }),
    )
    expect(code(fromNginx({ 'x-original-url': '/public/https://app.example.com/internal' }))).toBe('bad-url')
  })

  it.each([
    ['https://a.example.com,b.example.com/x', 'bad-host'],
    ['https://a.example.com%2Cb/x', 'bad-host'],
    ['https://user@a.example.com/x', 'bad-host'],
    ['https://a.example.com:99999/x', 'bad-url'],
    ['https://[::1/x', 'bad-host'],
    ['/relative/path', 'bad-url'],
    ['//a.example.com/x', 'bad-url'],
    ['https:/a.example.com/x', 'bad-url'],
    ['ftp://a.example.com/x', 'bad-scheme'],
    ['javascript://a.example.com/x', 'bad-scheme'],
    ['https://a.example.com/x#/../admin', 'bad-url'],
    ['https://a.example.com\\x', 'bad-host'],
    ['https://', 'bad-host'],
  ])('refuses %s (%s)', (value, expected) => {
    expect(code(fromNginx({ 'x-original-url': value }))).toBe(expected)
  })

  it('refuses an array value (a repeated header Node keeps as a list)', () => {
    expect(code(fromNginx({ 'x-original-url': ['https://a.example.com/', 'https://b.example.com/'] } as IncomingHttpHeaders))).toBe('repeated-header')
  })

  it('reads ws/wss as http/https, a trailing-dot host, a query without a path', () => {
    expect(ok(fromNginx({ 'x-original-url': 'wss://a.example.com/s' })).url!.href).toBe('https://a.example.com/s')
    expect(ok(fromNginx({ 'x-original-url': 'ws://a.example.com/s' })).url!.protocol).toBe('http:')
    expect(ok(fromNginx({ 'x-original-url': 'https://a.example.com./s' })).url!.hostname).toBe('a.example.com.')
    expect(ok(fromNginx({ 'x-original-url': 'https://a.example.com?x=1' })).url!.pathname).toBe('/')
  })

  it('X-Original-Method: one token, upper-cased; a repeat or junk is refused; absent is ANY_METHOD', () => {
    expect(ok(fromNginx({ 'x-original-method': 'delete' })).method).toBe('DELETE')
    expect(ok(fromNginx({ 'x-original-url': 'https://a.example.com/' })).method).toBe(ANY_METHOD)
    expect(ok(fromForwarded({ 'x-forwarded-host': 'a.example.com', 'x-forwarded-uri': '/' }, ctx())).method).toBe(ANY_METHOD)
    expect(code(fromNginx({ 'x-original-method': 'GET, DELETE' }))).toBe('repeated-header')
    expect(code(fromNginx({ 'x-original-method': 'GET,DELETE' }))).toBe('repeated-header')
    expect(code(fromNginx({ 'x-original-method': 'G3T' }))).toBe('bad-method')
    expect(code(fromNginx({ 'x-original-method': 'GET\u0000' }))).toBe('bad-method')
  })

  it('keeps the raw path as relayed, before dot-segments are resolved', () => {
    expect(ok(fromNginx({ 'x-original-url': 'https://a.example.com/a/%2e%2e/b?x=/y' })).rawPath).toBe('/a/%2e%2e/b')
    expect(ok(fromNginx({ 'x-original-url': 'https://a.example.com?x=1' })).rawPath).toBe('/')
    expect(ok(fromNginx({ 'x-original-url': 'https://a.example.com' })).rawPath).toBe('/')
    const up = ok(fromUpstream('/a/../b?x=/y', 'get', PUBLIC))
    expect(up).toMatchObject({ rawPath: '/a/../b', method: 'GET' })
    expect(up.url!.href).toBe('https://auth.example.com/b?x=/y')
  })

  it('an absent or empty X-Original-URL is an unknown URL, not a refusal', () => {
    expect(ok(fromNginx({})).url).toBeUndefined()
    expect(ok(fromNginx({ 'x-original-url': '' })).url).toBeUndefined()
  })
})

describe('fromForwarded (Traefik, Caddy)', () => {
  const fwd = (h: IncomingHttpHeaders, c: Partial<ReadContext> = {}) =>
    fromForwarded({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/x', 'x-forwarded-method': 'GET', ...h }, ctx(c))

  it('builds scheme://host + uri, never splitting the uri', () => {
    expect(ok(fwd({ 'x-forwarded-uri': '/public,/../internal?a=1,2' })).url!.href).toBe('https://app.example.com/internal?a=1,2')
  })

  it('property: the whole X-Forwarded-Uri is read, and the host is always X-Forwarded-Host', () => {
    assertProperty(
      fc.property(path, query, (p, q) => {
        const r = ok(fwd({ 'x-forwarded-uri': p + q }))
        expect(r.url!.href).toBe(new URL(`https://app.example.com${p}${q}`).href)
        expect(r.url!.host).toBe('app.example.com')
      }),
    )
  })

  it.each([
    [{ 'x-forwarded-host': 'a.example.com, b.example.com' }, 'repeated-header'],
    [{ 'x-forwarded-host': 'a.example.com,b.example.com' }, 'bad-host'],
    [{ 'x-forwarded-host': 'user@a.example.com' }, 'bad-host'],
    [{ 'x-forwarded-host': 'a.example.com/x' }, 'bad-host'],
    [{ 'x-forwarded-proto': 'https, http' }, 'repeated-header'],
    [{ 'x-forwarded-proto': 'https,http' }, 'repeated-header'],
    [{ 'x-forwarded-proto': 'gopher' }, 'bad-scheme'],
    [{ 'x-forwarded-uri': 'x' }, 'bad-url'],
    [{ 'x-forwarded-uri': 'http://evil.example.com/x' }, 'bad-url'],
    [{ 'x-forwarded-uri': '/x#/../admin' }, 'bad-url'],
    [{ 'x-forwarded-uri': '/x y' }, 'bad-url'],
    [{ 'x-forwarded-uri': '/a, /b' }, 'repeated-header'],
    [{ 'x-forwarded-method': 'GET, DELETE' }, 'repeated-header'],
    [{ 'x-forwarded-host': undefined }, 'partial-forwarded'],
    [{ 'x-forwarded-uri': undefined }, 'partial-forwarded'],
  ])('refuses %j (%s)', (h, expected) => {
    expect(code(fwd(h as IncomingHttpHeaders))).toBe(expected)
  })

  it('property: an X-Forwarded-Host with whitespace, a control character or non-ASCII is refused as a bad host', () => {
    const bad = fc.constantFrom(' ', '\t', '\u0000', '\u001f', '\u007f', '\u00e9', '\u2028')
    assertProperty(
      fc.property(fc.constantFrom('app.example.com', 'a', '[::1]:8443', 'b.example.com:8080'), bad, fc.nat(), (host, ch, at) => {
        const i = at % (host.length + 1)
        expect(code(fwd({ 'x-forwarded-host': host.slice(0, i) + ch + host.slice(i) }))).toBe('bad-host')
      }),
    )
  })

  it('a fallback scheme that is not http(s), with no X-Forwarded-Proto, is refused as bad-scheme, not a crash', () => {
    expect(code(fwd({ 'x-forwarded-proto': undefined }, { fallbackScheme: 'gopher' }))).toBe('bad-scheme')
    expect(code(fwd({ 'x-forwarded-proto': undefined }, { fallbackScheme: 'http,https' }))).toBe('bad-scheme')
  })

  it('a repeated X-Forwarded-Prefix is refused as a repeat (joined by Node or as a list)', () => {
    expect(code(fwd({ 'x-forwarded-prefix': '/a, /b' }, { usePrefix: true }))).toBe('repeated-header')
    expect(code(fwd({ 'x-forwarded-prefix': ['/a', '/b'] }, { usePrefix: true }))).toBe('repeated-header')
  })

  it('neither host nor uri: an unknown URL; an empty proto is absent', () => {
    expect(ok(fromForwarded({ 'x-forwarded-method': 'POST' }, ctx())).url).toBeUndefined()
    expect(ok(fwd({ 'x-forwarded-proto': '' })).url!.protocol).toBe('https:')
  })

  it('takes the scheme from X-Forwarded-Proto in any case, else the fallback; keeps the raw path', () => {
    expect(ok(fwd({ 'x-forwarded-proto': 'http' })).url!.href).toBe('http://app.example.com/x')
    expect(ok(fwd({ 'x-forwarded-proto': 'HTTP' })).url!.protocol).toBe('http:')
    expect(ok(fwd({ 'x-forwarded-proto': 'wss' })).url!.protocol).toBe('https:')
    expect(ok(fwd({ 'x-forwarded-proto': undefined }, { fallbackScheme: 'http' })).url!.protocol).toBe('http:')
    expect(ok(fwd({ 'x-forwarded-proto': undefined }, { fallbackScheme: 'HTTPS' })).url!.protocol).toBe('https:')
    const r = ok(fwd({ 'x-forwarded-uri': '/a/%2e%2e/b?q=/c' }))
    expect(r.rawPath).toBe('/a/%2e%2e/b')
    expect(r.url!.pathname).toBe('/b')
    expect(ok(fwd({ 'x-forwarded-uri': '/p/', 'x-forwarded-prefix': '/pre//' }, { usePrefix: true })).rawPath).toBe('/pre/p/')
    expect(ok(fwd({ 'x-forwarded-method': 'patch' })).method).toBe('PATCH')
  })

  it('X-Forwarded-Prefix only when configured, and then strictly', () => {
    expect(ok(fwd({ 'x-forwarded-prefix': '/pre' })).url!.pathname).toBe('/x')
    expect(ok(fwd({ 'x-forwarded-prefix': '/pre/' }, { usePrefix: true })).url!.pathname).toBe('/pre/x')
    for (const bad of ['pre', '//evil.example.com', '/a,/b', '/a;x', '/a%2f', '/a, /b']) {
      expect(isRefusal(fwd({ 'x-forwarded-prefix': bad }, { usePrefix: true }))).toBe(true)
    }
  })
})

describe('fromUpstream (the connection itself)', () => {
  it.each(['http://public.example.test/internal', 'https://auth.example.com/x', 'auth.example.com:443', '*', 'x', '/a#b', '/a b', '?x=1', ':443/admin', ''])(
    'refuses the non-origin-form target %s',
    (target) => {
      expect(code(fromUpstream(target, 'GET', PUBLIC))).toBe('not-origin-form')
    },
  )

  it('property: a target that does not start with / is refused, even one that would keep publicUrl\'s host (?q, :443/x)', () => {
    const first = fc.constantFrom(...'?:.@*\\aZ09-_~%;,'.split(''))
    assertProperty(
      fc.property(first, path, query, (c, p, q) => {
        expect(code(fromUpstream(c + p.slice(1) + q, 'GET', PUBLIC))).toBe('not-origin-form')
      }),
    )
  })

  // Found by the e2e differential test (DIFF_SEED=156701291): the app received //adminpublic./admin//.%2e.%2e
  // and may read it as host adminpublic. and path /admin/....
  it.each(['//x', '//evil.example.com/admin', '/..//admin', '/a/..//admin', '/.//admin', '/\\admin', '//public%252e%252e,/../adminpublic.\\admin//.%2e.%2e'])(
    'refuses %s: the path the app would get begins with //',
    (target) => {
      expect(code(fromUpstream(target, 'GET', PUBLIC))).toBe('not-origin-form')
    },
  )

  it.each(['/a//b', '/a//', '/a/b//', '/%2f/x', '/a?next=//evil.example.com'])('accepts %s: // later in the path, encoded or in the query', (target) => {
    expect(ok(fromUpstream(target, 'GET', PUBLIC)).url!.pathname.startsWith('//')).toBe(false)
  })

  it('property: no accepted target hands the app a path beginning with //', () => {
    const prefix = fc.constantFrom('/', '//', '/\\', '/./', '/../', '/a/../', '/.%2e/', '/%2e%2e/')
    assertProperty(
      fc.property(prefix, path, query, (pre, p, q) => {
        const r = fromUpstream(pre + p + q, 'GET', PUBLIC)
        if (!isRefusal(r)) expect(r.url!.pathname.startsWith('//')).toBe(false)
      }),
    )
  })

  it('judges only publicUrl\'s host: a publicUrl whose origin names another host (blob:) is refused, not read as that host', () => {
    const blob = new URL('blob:https://evil.example.com/x')
    expect(code(fromUpstream('/x', 'GET', blob))).toBe('not-origin-form')
  })

  it('a publicUrl without an origin (opaque) cannot build the URL: refused as bad-url', () => {
    expect(code(fromUpstream('/x', 'GET', new URL('gatehouse://auth.example.com')))).toBe('bad-url')
  })

  it('property: any origin-form target keeps publicUrl\'s host (//host and /\\host included)', () => {
    const prefix = fc.constantFrom('/', '//', '/\\', '//evil.example.com', '/\\evil.example.com', '//evil.example.com:8443', '/.//evil.example.com')
    assertProperty(
      fc.property(prefix, path, query, (pre, p, q) => {
        const r = fromUpstream(pre + p + q, 'GET', PUBLIC)
        if (!isRefusal(r)) expect(r.url!.host).toBe(PUBLIC.host)
      }),
    )
  })
})

describe('readOriginal', () => {
  const identityNames = [...IDENTITY_HEADERS, ACCESS_TOKEN_HEADER, ...DEFAULT_IDENTITY_LIKE]

  it.each(identityNames)('refuses %s on both verify endpoints, in every spelling, trusted peer or not', (name) => {
    assertProperty(
      fc.property(spellings(name), fc.boolean(), fc.constantFrom('nginx', 'forward-auth') as fc.Arbitrary<'nginx' | 'forward-auth'>, (spelled, trusted, protocol) => {
        const r = readOriginal(protocol, { headers: { [spelled.toLowerCase()]: 'alice' }, method: 'GET', target: '/oauth2/auth' }, ctx({ trusted }))
        expect(code(r)).toBe('identity-header')
      }),
      40,
    )
  })

  it('refuses a Connection header naming an identity header, upstream mode included', () => {
    for (const protocol of ['nginx', 'forward-auth', 'upstream'] as const) {
      for (const connection of ['X-Auth-Request-User', 'keep-alive, x_auth_request_email', 'close,Remote-User']) {
        const r = readOriginal(protocol, { headers: { connection }, method: 'GET', target: '/x' }, ctx())
        expect(code(r)).toBe('connection-names-identity')
      }
      expect(code(readOriginal(protocol, { headers: { connection: 'keep-alive, Upgrade' }, method: 'GET', target: '/x' }, ctx()))).toBe('accepted')
    }
  })

  it('headers.identityLike names are refused too; Authorization never is', () => {
    const c = ctx({ isIdentityHeader: identityHeaderCheck(['X-Portal-User']) })
    expect(code(readOriginal('nginx', { headers: { x_portal_user: 'bob' }, method: 'GET', target: '/' }, c))).toBe('identity-header')
    expect(code(readOriginal('nginx', { headers: { authorization: 'Bearer x' }, method: 'GET', target: '/' }, c))).toBe('accepted')
  })

  it('each verify endpoint reads its own proxy\'s headers; an untrusted peer gets its request line\'s method, upper-cased', () => {
    const headers = {
      'x-original-url': 'https://nginx.example.com/n',
      'x-forwarded-host': 'traefik.example.com',
      'x-forwarded-uri': '/t',
      'x-forwarded-method': 'put',
    }
    const req = { headers, method: 'post', target: '/oauth2/auth' }
    expect(ok(readOriginal('nginx', req, ctx())).url!.href).toBe('https://nginx.example.com/n')
    expect(ok(readOriginal('forward-auth', req, ctx()))).toMatchObject({ method: 'PUT' })
    expect(ok(readOriginal('forward-auth', req, ctx())).url!.href).toBe('https://traefik.example.com/t')
    expect(readOriginal('nginx', req, ctx({ trusted: false }))).toEqual({ url: undefined, method: 'POST' })
    expect(readOriginal('forward-auth', req, ctx({ trusted: false }))).toEqual({ url: undefined, method: 'POST' })
    expect(readOriginal('none', { headers: { 'x-auth-request-user': 'x' }, method: 'DELETE', target: '/' }, ctx())).toEqual({ url: undefined, method: 'GET' })
    expect(ok(fromForwarded({ 'x-forwarded-method': 'POST' }, ctx()))).toEqual({ url: undefined, method: 'POST' })
  })

  it('an untrusted peer\'s forwarded headers are not read: the URL is unknown', () => {
    const headers = { 'x-original-url': 'https://app.example.com/public', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/public' }
    for (const protocol of ['nginx', 'forward-auth'] as const) {
      expect(ok(readOriginal(protocol, { headers, method: 'GET', target: '/oauth2/auth' }, ctx({ trusted: false }))).url).toBeUndefined()
    }
  })

  it('upstream mode strips (does not refuse) plain identity headers: forwarding.ts removes them', () => {
    const r = ok(readOriginal('upstream', { headers: { 'x-auth-request-user': 'boss' }, method: 'post', target: '/a' }, ctx()))
    expect(r.url!.href).toBe('https://auth.example.com/a')
    expect(r.method).toBe('POST')
  })
})

describe('readerInputs (the read memo key)', () => {
  const NGINX = ['x-original-method', 'x-original-url'] as const
  const FORWARDED = ['x-forwarded-method', 'x-forwarded-host', 'x-forwarded-uri', 'x-forwarded-proto', 'x-forwarded-prefix'] as const
  // Values shared between headers, so a key that let a value shift into another header's place would collide.
  const value = fc.constantFrom(undefined, '', 'GET', 'a', 'a1:a', '1:a', '-', '/x', 'https://a.example.com/x', 'a,b')
  const record = (names: readonly string[]) =>
    fc.tuple(...names.map(() => value)).map((vs) => Object.fromEntries(names.flatMap((n, i) => (vs[i] === undefined ? [] : [[n, vs[i]]]))) as IncomingHttpHeaders)
  const read = (names: readonly string[], h: IncomingHttpHeaders) => names.map((n) => (n in h ? `=${h[n] as string}` : 'absent'))

  it('property: one key per combination of the values the reader reads, absent and empty included; never undefined for single values', () => {
    for (const [protocol, usePrefix, names] of [
      ['nginx', false, NGINX],
      ['forward-auth', false, FORWARDED.slice(0, 4)],
      ['forward-auth', true, FORWARDED],
    ] as const) {
      const c = ctx({ usePrefix })
      assertProperty(
        // b takes each header from a or from another record: equal reads and near-misses are common
        fc.property(record(names), record(names), fc.array(fc.boolean(), { minLength: names.length, maxLength: names.length }), (a, other, fromA) => {
          const src = (i: number) => (fromA[i] ? a : other)
          const b = Object.fromEntries(names.flatMap((n, i) => (n in src(i) ? [[n, src(i)[n]]] : []))) as IncomingHttpHeaders
          const ka = readerInputs(protocol, a, c)
          const kb = readerInputs(protocol, b, c)
          expect(typeof ka).toBe('string')
          expect(ka === kb).toBe(JSON.stringify(read(names, a)) === JSON.stringify(read(names, b)))
        }),
      )
    }
  })

  it('an absent header cannot be confused with a value moved into its place', () => {
    const c = ctx()
    expect(readerInputs('nginx', { 'x-original-url': 'GET' }, c)).not.toBe(readerInputs('nginx', { 'x-original-method': 'GET' }, c))
    expect(readerInputs('forward-auth', { 'x-forwarded-host': 'a', 'x-forwarded-uri': '/x' }, c)).not.toBe(
      readerInputs('forward-auth', { 'x-forwarded-method': 'a', 'x-forwarded-host': '/x' }, c),
    )
  })

  it('a repeated header (a list) gives no key: such a request is read afresh', () => {
    const c = ctx({ usePrefix: true })
    for (const name of NGINX) expect(readerInputs('nginx', { [name]: ['a', ''] }, c)).toBeUndefined()
    for (const name of FORWARDED) expect(readerInputs('forward-auth', { [name]: ['a', ''] }, c)).toBeUndefined()
  })
})
