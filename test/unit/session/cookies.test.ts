import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { cookieCount, cookiesWithPrefix, isHostPrefixed, isSecurePrefixed, readCookie, serializeCookie, type CookieAttributes } from '../../../src/session/cookies.js'
import { checkProperty } from '../../helpers/property.js'

const NAME = 'gh_session'
// Names that share text with NAME: a longer name ending in it, one starting with it, chunk names.
const names = fc.constantFrom(NAME, 'xgh_session', 'gh_session_0', 'gh_sessio', 'agh_session', 'other', '__Host-gh_session')
const value = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '=', ' ', '\t', '.', '-', '_', 'gh_session', 'gh_session='), maxLength: 12 })
const pairs = fc.array(fc.tuple(names, value), { maxLength: 6 })
const separator = fc.constantFrom(';', '; ', ';  ', ';\t')

/** The RFC 6265 reading: split on `;`, trim, name up to the first `=`. */
function reference(header: string, name: string): string[] {
  return header
    .split(';')
    .map((p) => p.replace(/^[ \t]+|[ \t]+$/g, ''))
    .filter((p) => p.includes('=') && p.slice(0, p.indexOf('=')) === name)
    .map((p) => p.slice(p.indexOf('=') + 1).replace(/^[ \t]+|[ \t]+$/g, ''))
}

const headerOf = fc.tuple(pairs, separator).map(([ps, sep]) => ps.map(([n, v]) => `${n}=${v}`).join(sep))

describe('readCookie', () => {
  it('agrees with the split-and-trim reading; a name present twice reads as absent', () => {
    checkProperty(
      fc.property(headerOf, (header) => {
        const found = reference(header, NAME)
        expect(readCookie(header, NAME)).toBe(found.length === 1 ? found[0] : undefined)
        expect(cookieCount(header, NAME)).toBe(Math.min(found.length, 2))
        // With a conflicting name: also absent when `gh_session_0` is present beside it.
        const chunk = reference(header, NAME + '_0')
        expect(readCookie(header, NAME, '_0')).toBe(found.length === 1 && chunk.length === 0 ? found[0] : undefined)
      }),
      2000,
    )
  })

  it('never reads a name that only ends or begins with the wanted one', () => {
    expect(readCookie('xgh_session=evil', NAME)).toBeUndefined()
    expect(readCookie('xgh_session=evil; gh_session=good', NAME)).toBe('good')
    expect(readCookie('gh_session_0=chunk', NAME)).toBeUndefined()
    expect(readCookie('a=x gh_session=inside-a-value', NAME)).toBeUndefined()
    expect(readCookie('gh_sessionundefined=x; gh_session=v', NAME)).toBe('v')
  })

  it('reads a cookie after leading whitespace at the start of the header', () => {
    expect(readCookie(' gh_session=v', NAME)).toBe('v')
    expect(readCookie('\t gh_session=v; a=b', NAME)).toBe('v')
  })

  it('a conflict is a whole cookie name: a longer name only starting with it is not one', () => {
    expect(readCookie('gh_session_0x=1; gh_session=v', NAME, '_0')).toBe('v')
    expect(readCookie('gh_session_0=1; gh_session=v', NAME, '_0')).toBeUndefined()
    expect(readCookie('gh_session=v; gh_session_0', NAME, '_0')).toBe('v')
  })

  it('refuses a planted second copy in either order', () => {
    expect(readCookie('gh_session=real; gh_session=planted', NAME)).toBeUndefined()
    expect(readCookie('gh_session=planted; gh_session=real', NAME)).toBeUndefined()
    expect(cookieCount('gh_session=a;gh_session=b;gh_session=c', NAME)).toBe(2)
  })

  it('handles absent and empty headers', () => {
    expect(readCookie(undefined, NAME)).toBeUndefined()
    expect(readCookie('', NAME)).toBeUndefined()
    expect(cookieCount(undefined, NAME)).toBe(0)
    expect(readCookie('gh_session=', NAME)).toBe('')
  })
})

describe('cookiesWithPrefix', () => {
  it('returns exactly the cookies whose name starts with the prefix', () => {
    checkProperty(
      fc.property(headerOf, (header) => {
        const got = cookiesWithPrefix(header, 'gh_session_')
        const want = header
          .split(';')
          .filter((p) => p.includes('='))
          .map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()])
          .filter(([n]) => n!.startsWith('gh_session_'))
        expect(got).toEqual(want)
      }),
    )
    expect(cookiesWithPrefix('a=1; gh_session_0=x; b=2', 'gh_session_')).toEqual([['gh_session_0', 'x']])
    expect(cookiesWithPrefix('gh_session_0x; gh_session_1=b', 'gh_session_')).toEqual([['gh_session_1', 'b']])
    expect(cookiesWithPrefix(undefined, 'gh_session_')).toEqual([])
    expect(cookiesWithPrefix('', 'gh_session_')).toEqual([])
  })
})

describe('serializeCookie', () => {
  const base: CookieAttributes = { path: '/', maxAge: 60, secure: true, httpOnly: true, sameSite: 'lax' }
  const attributes = (c: string) => c.split('; ').slice(1)

  it('emits Secure exactly when asked', () => {
    expect(attributes(serializeCookie('n', 'v', base))).toContain('Secure')
    expect(attributes(serializeCookie('n', 'v', { ...base, secure: false }))).not.toContain('Secure')
  })

  it('emits Domain exactly when given', () => {
    expect(attributes(serializeCookie('n', 'v', { ...base, domain: '.example.com' }))).toContain('Domain=.example.com')
    expect(serializeCookie('n', 'v', base)).not.toMatch(/Domain=/)
  })

  it('writes name, value, path, lifetime, HttpOnly and SameSite', () => {
    const c = serializeCookie('n', 'v', { ...base, path: '/oauth2/', sameSite: 'strict' })
    expect(c).toMatch(/^n=v; Path=\/oauth2\/; Max-Age=60; Expires=[^;]+ GMT; HttpOnly; Secure; SameSite=Strict$/)
    expect(serializeCookie('n', '', { ...base, maxAge: -5 })).toMatch(/Max-Age=0;/)
  })

  it('leaves HttpOnly out when not asked, and spells SameSite=None', () => {
    const c = serializeCookie('n', 'v', { ...base, httpOnly: false, secure: true, sameSite: 'none' })
    expect(attributes(c)).not.toContain('HttpOnly')
    expect(c.endsWith('; SameSite=None')).toBe(true)
  })

  it('expires maxAge whole seconds from now, never in the future for a cleared cookie', () => {
    const expires = (c: string) => Date.parse(/Expires=([^;]+)/.exec(c)![1]!)
    const before = Math.floor(Date.now() / 1000) * 1000
    const c = serializeCookie('n', 'v', { ...base, maxAge: 90.7 })
    const after = Date.now()
    expect(c).toMatch(/Max-Age=90;/)
    expect(expires(c)).toBeGreaterThanOrEqual(before + 90_000)
    expect(expires(c)).toBeLessThanOrEqual(after + 90_700)
    const cleared = serializeCookie('n', '', { ...base, maxAge: -3600 })
    expect(expires(cleared)).toBeLessThanOrEqual(Date.now())
    expect(expires(cleared)).toBeGreaterThanOrEqual(before)
  })
})

describe('cookie name prefixes', () => {
  it('are recognised in any case, as browsers do', () => {
    expect(isHostPrefixed('__Host-x')).toBe(true)
    expect(isHostPrefixed('__HOST-x')).toBe(true)
    expect(isHostPrefixed('_Host-x')).toBe(false)
    expect(isSecurePrefixed('__secure-x')).toBe(true)
    expect(isSecurePrefixed('__Host-x')).toBe(false)
  })
})
