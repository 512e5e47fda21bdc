import { readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createRedirectValidator } from '../../src/request/redirect.js'
import { checkProperty } from '../helpers/property.js'

// A copy of shared/testdata/open-redirects.txt (oauth2-proxy's MIT-licensed corpus), so a bare clone can run it.
const corpusFile = new URL('../fixtures/open-redirects.txt', import.meta.url)

/** Decode once, as the query parser would; `%a0` lines defeat decodeURIComponent, so go byte-wise. */
function decodeOnce(line: string): string {
  try {
    return decodeURIComponent(line)
  } catch {
    return Buffer.from(line.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('latin1')
  }
}

describe('redirect validator', () => {
  const publicUrl = new URL('https://auth.example.com')
  const validate = createRedirectValidator(['www.whitelisteddomain.tld'], publicUrl)

  const lines = readFileSync(corpusFile, 'utf8').split('\n')
  if (lines.at(-1) === '') lines.pop()

  it('reads the whole corpus', () => {
    expect(lines).toHaveLength(559)
  })

  it.each(lines.map((l, i) => [i + 1, l]))('rejects corpus line %i: %s', (_n, line) => {
    expect(validate(decodeOnce(line as string))).toBeUndefined()
  })

  it.each([
    ['/', 'https://auth.example.com/'],
    ['/path?x=1#frag', 'https://auth.example.com/path?x=1#frag'],
    ['https://www.whitelisteddomain.tld/x?y=1', 'https://www.whitelisteddomain.tld/x?y=1'],
    ['https://auth.example.com/a', 'https://auth.example.com/a'],
  ])('accepts %s', (input, expected) => {
    expect(validate(input)).toBe(expected)
  })

  describe('domain rules', () => {
    const v = createRedirectValidator(['.example.com', 'ports.test:8443', 'any.test:*'], publicUrl)
    it.each([
      ['https://example.com/', true],
      ['https://a.example.com/x', true],
      ['https://a.b.example.com/x', true],
      ['https://badexample.com/', false],
      ['https://example.com.evil.net/', false],
      ['https://a.example.com:8443/', false],
      ['https://ports.test:8443/', true],
      ['https://ports.test/', false],
      ['https://ports.test:9443/', false],
      ['http://any.test:1234/', true],
      ['https://user:pw@a.example.com/', false],
      ['javascript:alert(1)', false],
      ['data:text/html,x', false],
      ['https:evil.com', false],
      ['evil.com', false],
      ['', false],
      [undefined, false],
    ])('%s → %s', (input, ok) => {
      expect(v(input as string | undefined) !== undefined).toBe(ok)
    })
  })

  describe('what the rules mean', () => {
    const v = createRedirectValidator([' Exact.test ', '*.wild.test', '[::1]:8080'], publicUrl)
    it.each([
      ['https://exact.test/', true],
      ['https://EXACT.test/', true],
      ['https://sub.exact.test/', false],
      ['https://exact.test:444/', false],
      ['https://wild.test/', true],
      ['https://a.wild.test/', true],
      ['https://awild.test/', false],
      ['http://[::1]:8080/', true],
      ['http://[::1]/', false],
      ['http://[::1]:8081/', false],
      ['https://auth.example.com:444/', false],
      ['http://auth.example.com/', false],
    ])('%s → %s', (input, ok) => {
      expect(v(input) !== undefined).toBe(ok)
    })

    it('refuses credentials in the URL, user name or password alone', () => {
      expect(v('https://user@exact.test/')).toBeUndefined()
      expect(v('https://:secret@exact.test/')).toBeUndefined()
      expect(v('https://exact.test/@user')).toBe('https://exact.test/@user')
    })

    it('refuses dot or blank segments between slashes in local paths, whatever they resolve to', () => {
      for (const p of ['/a/./b', '/a/../b', '/a/ /b', '/a/\t/b', '/.//x', '/x/..\\y']) expect(validate(p)).toBeUndefined()
      expect(validate('/a/.b/c..d/')).toBe('https://auth.example.com/a/.b/c..d/')
    })

    it('refuses candidates over 4096 characters and control characters anywhere', () => {
      expect(validate('/' + 'a'.repeat(4095))).toBe('https://auth.example.com/' + 'a'.repeat(4095))
      expect(validate('/' + 'a'.repeat(4096))).toBeUndefined()
      expect(validate('/a\u007f')).toBeUndefined()
      expect(validate('/a\u0000b')).toBeUndefined()
      expect(validate('https://www.whitelisteddomain.tld/\u001f')).toBeUndefined()
    })

    it('accepts absolute URLs whatever the case of the scheme, and only http(s)', () => {
      expect(validate('HTTPS://www.whitelisteddomain.tld/x')).toBe('https://www.whitelisteddomain.tld/x')
      expect(validate('ftp://www.whitelisteddomain.tld/x')).toBeUndefined()
      expect(validate('xhttps://www.whitelisteddomain.tld/x')).toBeUndefined()
      expect(validate('https://[bad/x')).toBeUndefined()
    })
  })

  describe('properties', () => {
    const ALLOWED = 'www.whitelisteddomain.tld'
    const anyCase = (s: string) =>
      fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''))
    const slashes = fc.constantFrom('', '/', '//', '///', '\\', '\\\\', '/\\', '\\/', '//\\', '\\//')

    it('accepts an absolute URL only when it begins with http:// or https:// (any case), though the parser reads every spelling as the same allowed URL', () => {
      checkProperty(
        fc.property(
          fc.constantFrom('', '', ' ', '  '),
          fc.constantFrom('http', 'https').chain(anyCase),
          slashes,
          fc.webPath(),
          (blank, scheme, sep, path) => {
            const candidate = `${blank}${scheme}:${sep}${ALLOWED}${path}`
            const parsed = new URL(candidate)
            expect(parsed.hostname).toBe(ALLOWED)
            expect(validate(candidate)).toBe(blank === '' && sep.startsWith('//') ? parsed.href : undefined)
          },
        ),
      )
    })

    // Pieces of the open-redirect corpus's tricks: schemes, slash runs, user info, look-alike hosts, ports, local paths.
    const candidate = fc
      .tuple(
        fc.constantFrom('', ' ', '/', '//', '/\\', '\\', '/./', '/%2f'),
        fc.constantFrom('', 'http:', 'https:', 'HTTPS:', 'javascript:', 'data:', 'ftp:', 'x-https:', 'https:https:'),
        slashes,
        fc.constantFrom('', 'u@', 'u:p@', ':@', `${ALLOWED}@`, `${ALLOWED}%40`),
        fc.constantFrom(ALLOWED, 'auth.example.com', 'evil.com', `${ALLOWED}.evil.com`, `evil.com\\.${ALLOWED}`, `evil.com#.${ALLOWED}`, '%65vil.com', '[::1]'),
        fc.constantFrom('', ':443', ':8443', ':'),
        fc.oneof(fc.webPath(), fc.constantFrom('/?next=//evil.com', '#@evil.com', '\\@evil.com', '/..//evil.com')),
      )
      .map((parts) => parts.join(''))

    it('answers only an http(s) URL without credentials, on the public origin or an allowed host, in the parser\'s own spelling', () => {
      const seen = { accepted: 0, refused: 0 }
      checkProperty(
        fc.property(candidate, (c) => {
          const answer = validate(c)
          if (answer === undefined) return void seen.refused++
          seen.accepted++
          const url = new URL(answer)
          expect(url.href).toBe(answer)
          expect(['http:', 'https:']).toContain(url.protocol)
          expect(url.username + url.password).toBe('')
          expect(url.origin === publicUrl.origin || (url.hostname === ALLOWED && url.port === '')).toBe(true)
        }),
        2000,
      )
      // The generator must reach both answers, or the invariant proves nothing.
      expect(seen.accepted).toBeGreaterThan(0)
      expect(seen.refused).toBeGreaterThan(0)
    })

    it('never throws on a local path, and answers one on the public origin or nothing', () => {
      checkProperty(
        fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (rest) => {
          const answer = validate('/' + rest)
          if (answer !== undefined) expect(new URL(answer).origin).toBe(publicUrl.origin)
        }),
        1000,
      )
    })
  })
})
