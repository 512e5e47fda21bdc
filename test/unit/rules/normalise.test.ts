import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { assertProperty } from '../../helpers/property.js'
import { normaliseHost, normalisePath, pathReadings } from '../../../src/rules/normalise.js'

describe('normalisePath', () => {
  it.each([
    ['/', '/', false],
    ['', '/', false],
    ['/api/x', '/api/x', false],
    ['/public?x=/admin', '/public', false],
    ['/public#/admin', '/public', false],
    ['/a/./b', '/a/b', false],
    ['/a/../admin', '/admin', false],
    ['/public/%2e%2e/admin', '/admin', false],
    ['/public/%2E%2e/admin', '/admin', false],
    ['/public/.%2e/admin', '/admin', false],
    ['/public/%2e/admin', '/public/admin', false],
    ['/../../admin', '/admin', false],
    ['/a/b/..', '/a/', false],
    ['//admin', '/admin', false],
    ['/a///b//', '/a/b/', false],
    ['/a\\..\\admin', '/admin', false],
    ['/caf%C3%A9', '/café', false],
    ['/a%20b', '/a b', false],
    ['/foo/secret%23/bar', '/foo/secret', true],
    ['/pub%23/../admin', '/admin', true],
    ['#frag', '/', false],
    ['?q=/admin', '/', false],
    ['a/b/', '/a/b/', false],
    ['/a/%252e/b', '/a/%2e/b', false],
    ['/pub%23/%2e%2e/admin', '/admin', true],
    ['/pub%23/%2E%2e/admin', '/admin', true],
    ['/pub/.%2e/admin', '/admin', false],
    ['/pub/%2e./admin', '/admin', false],
    ['/pub/%2e/admin', '/pub/admin', false],
    ['/pub/%2e', '/pub/', false],
    ['/pub/%2e%2e', '/', false],
    ['/a/%252e%252e/b', '/a/%2e%2e/b', false],
    ['/api%2fhealth', '/api/health', true],
    ['/api%2F..%2Fadmin', '/admin', true],
    ['/a%5cb', '/a/b', true],
    ['/a%00b', '/a\u0000b', true],
    ['/bad%zz', '/bad%zz', true],
    ['/bad%ff', '/bad%ff', true],
  ])('%s → %s (ambiguous %s)', (raw, path, ambiguous) => {
    expect(normalisePath(raw)).toEqual({ path, ambiguous })
  })

  it('agrees with WHATWG-parsed pathnames (idempotent on them)', () => {
    for (const raw of ['/a/%2e%2e/b', '/w//x//y', '/a\\b', '/%7euser', '/a/%2E/b/..']) {
      expect(normalisePath(new URL(raw, 'http://h').pathname)).toEqual(normalisePath(raw))
    }
  })
})

describe('normaliseHost', () => {
  it.each([
    ['https://Grafana.Example.COM/x', 'grafana.example.com', '443'],
    ['http://grafana.example.com./x', 'grafana.example.com', '80'],
    ['https://grafana.example.com:8443/', 'grafana.example.com', '8443'],
    ['http://[::1]:81/', '[::1]', '81'],
  ])('%s', (url, host, port) => {
    expect(normaliseHost(new URL(url))).toEqual({ host, port })
  })
})

describe('pathReadings', () => {
  it.each([
    ['/internal', ['/internal'], false],
    ['//evil.example/internal', ['/evil.example/internal', '/internal'], false],
    ['/%0d/public/internal', ['/\r/public/internal', '/public/internal', '/internal'], true],
    ['/public/..;/internal', ['/public/..;/internal', '/internal'], false],
    ['/internal;jsessionid=x', ['/internal;jsessionid=x', '/internal'], false],
    ['/public/%252e%252e/internal', ['/public/%2e%2e/internal', '/internal'], false],
    ['/public/%252e%252e%252finternal', ['/public/%2e%2e%2finternal', '/internal'], false],
    ['/internal%3Fx', ['/internal?x', '/internal'], false],
    ['/internal%20', ['/internal ', '/internal'], false],
    ['/internal%00', ['/internal\u0000', '/internal'], true],
    ['/internal%0a', ['/internal\n', '/internal'], true],
    ['/internal%09x', ['/internal\tx', '/internal'], true],
    // nginx keeps `\\` as an ordinary character: `..` removes the whole `public\\x` segment
    ['/public\\x/%2e%2e/internal', ['/public/internal', '/internal'], false],
    ['/public\\x/../internal', ['/public/internal', '/internal'], false],
    // decoded before dot-segments are resolved (nginx, apps that decode first)
    ['/internal%2fx/..//', ['/internal/'], true],
    ['/admin%5cx/%2e%2e/y', ['/admin/y'], true],
    // scheme-relative: `new URL('//public', base)` has host `public` and path `/`
    ['//public', ['/public', '/'], false],
    // two decodes, then `\\` as a separator (IIS)
    ['/public/%255c..%255cinternal', ['/internal'], false],
    ['/admin%2fx/../public..%2e', ['/admin/public...'], true],
    // decoded leniently where decodeURIComponent gives up (nginx, Go): the `%3F` still ends the path
    ['/internal%3F%public', ['/internal?%public', '/internal'], true],
    ['/public/..%2f%zzinternal/../internal', ['/internal'], true],
  ])('%s reads as %j', (raw, paths, ambiguous) => {
    const r = pathReadings(raw)
    expect(r.paths).toEqual(expect.arrayContaining(paths))
    expect(r.ambiguous).toBe(ambiguous)
  })

  // Exact sets: a reading lost lets a rule be bypassed, an invented one denies what no backend would serve.
  it.each([
    ["/internal", ["/internal"], false],
    ["//evil.example/internal", ["/evil.example/internal", "/internal"], false],
    ["/%0d/public/internal", ["/", "/\r/public/internal", "/%0d/public/internal", "/internal", "/public/internal"], true],
    ["/public/..;/internal", ["/internal", "/public/..;/internal"], false],
    ["/internal;jsessionid=x", ["/internal", "/internal;jsessionid=x"], false],
    ["/public/%252e%252e/internal", ["/internal", "/public/%252e%252e/internal", "/public/%2e%2e/internal"], false],
    ["/public/%252e%252e%252finternal", ["/internal", "/public/%252e%252e%252finternal", "/public/%2e%2e%2finternal"], false],
    ["/internal%3Fx", ["/internal", "/internal%3Fx", "/internal?x"], false],
    ["/internal%20", ["/internal", "/internal ", "/internal%20"], false],
    ["/internal%00", ["/internal", "/internal\u0000", "/internal%00"], true],
    ["/internal%0a", ["/internal", "/internal\n", "/internal%0a"], true],
    ["/internal%09x", ["/internal", "/internal\tx", "/internal%09x", "/internalx"], true],
    ["/public\\x/%2e%2e/internal", ["/internal", "/public/internal", "/public/x/%2e%2e/internal", "/public\\x/%2e%2e/internal"], false],
    ["/public\\x/../internal", ["/internal", "/public/internal"], false],
    ["/internal%2fx/..//", ["/", "/internal/"], true],
    ["/admin%5cx/%2e%2e/y", ["/admin%5cx/%2e%2e/y", "/admin/y", "/y"], true],
    ["//public", ["/", "/public"], false],
    ["/public/%255c..%255cinternal", ["/internal", "/public/%255c..%255cinternal", "/public/%5c..%5cinternal", "/public/\\..\\internal", "/public/internal"], false],
    ["/admin%2fx/../public..%2e", ["/admin/public...", "/public..%2e", "/public..."], true],
    ["/internal%3F%public", ["/internal", "/internal%3F%public", "/internal?%public"], true],
    ["/public/..%2f%zzinternal/../internal", ["/internal", "/public/internal"], true],
    ["/a/./b", ["/a/b"], false],
    ["/a/%252e/b", ["/a/%252e/b", "/a/%2e/b", "/a/b"], false],
    ["/a;x/b;y=1/c", ["/a/b/c", "/a;x/b;y=1/c"], false],
    ["/a\tb", ["/a", "/a\tb", "/ab"], false],
    ["/x%2525y", ["/x%2525y", "/x%25y", "/x%y"], false],
    ["/p?q#f", ["/p"], false],
    ["/%zz", ["/%zz"], true],
    ["////a", ["/", "/a"], false],
  ])('%j reads exactly as %j', (raw, paths, ambiguous) => {
    const r = pathReadings(raw)
    expect([...r.paths].sort()).toEqual(paths)
    expect(r.ambiguous).toBe(ambiguous)
  })

  // Each reading comes from one step of the search (mutation testing, issue 17): with the step gone, the set changes.
  it.each([
    // `%2e` kept as three characters (a backend that neither decodes nor treats it as a dot)
    ['/%2e', ['/', '/%2e'], false],
    // an invalid UTF-8 escape stays; the ASCII escapes of the same run are decoded (nginx, Go)
    ['/%ff', ['/%ff'], true],
    ['/%2e%ff', ['/%2e%ff', '/.%ff'], true],
    // `/\\%` is scheme-relative to a WHATWG parser: host `%`, path `/`
    ['/\\%', ['/', '/%', '/\\%'], true],
    ['//./%', ['/%'], true],
    ['//./.', ['/'], false],
    ['/\\%5C', ['/', '/%5C', '/\\', '/\\%5C', '/\\\\'], true],
    ['/\\é', ['/', '/\\é', '/é'], false],
    // an unparseable URL (empty host) is ambiguous
    ['/\\', ['/', '/\\'], true],
    ['//;', ['/', '/;'], true],
    ['/;\\é', ['/', '/%C3%A9', '/;/%C3%A9', '/;/é', '/;\\é', '/é'], false],
    // at most two decodes: `%2500` becomes `%00`, then NUL, never a third time
    ['//./%00/./%2500', ['/', '/\u0000/\u0000', '/\u0000/%00', '/%00/', '/%00/%00', '/%00/%2500'], true],
    // a stray `%` on the first decode is ambiguous
    ['/%3f/./%/./..', ['/', '/%3f/', '/?/'], true],
    // the query is no part of any reading
    ['/a%20?q=/internal', ['/a', '/a ', '/a%20'], false],
    ['?a/%69nternal', ['/'], false],
    ['/%09', ['/', '/\t', '/%09'], true],
    ['/x%2500', ['/x', '/x\u0000', '/x%00', '/x%2500'], true],
    // `%2f` keeps the path ambiguous also where the `;` parameter is dropped first
    ['/a;x%2fb', ['/a', '/a/b', '/a;x%2fb', '/a;x/b'], true],
    // `;` parameters dropped before anything else, then read as normalisePath reads a path (servlet containers):
    // `/public/ ` keeps the space and ends at the decoded `#`; the search alone cuts at the space first
    ['/public;x/%20%23', ['/public/', '/public/ ', '/public/ #', '/public/%20%23', '/public;x/', '/public;x/ ', '/public;x/ #', '/public;x/%20%23'], true],
  ])('%j reads exactly as %j (one search step each)', (raw, paths, ambiguous) => {
    const r = pathReadings(raw)
    expect([...r.paths].sort()).toEqual(paths)
    expect(r.ambiguous).toBe(ambiguous)
    expect(r.exhausted).toBeUndefined()
  })

  it('a path without a leading `/` has the readings of the same path with one, as normalisePath reads it', () => {
    // Path-ish characters, escapes and cut points: whitespace, `;`, `\\`, `%`, dots, tab.
    const piece = fc.constantFrom('a', 'é', '.', '..', '/', '\\', ';', ';x=1', '%2e', '%2f', '%25', '%09', '%20', ' ', '\t', '%5c', 'public', 'admin')
    assertProperty(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }).map((xs) => xs.join('')).filter((x) => !x.startsWith('/')), (x) => {
        const without = pathReadings(x)
        const withSlash = pathReadings('/' + x)
        expect([...without.paths].sort()).toEqual([...withSlash.paths].sort())
        expect(without.ambiguous).toBe(withSlash.ambiguous)
        for (const r of without.paths) expect(r.startsWith('/')).toBe(true)
      }),
    )
    expect(pathReadings(' /x').paths).toContain('/')
  })

  describe('the search is bounded: past 128 states or 32 KiB read it stops and reports exhausted (then the rules deny)', () => {
    it.each(['/\\..;\\\\//%2500\\%0a\\,', '///%2523//%20//.%2e//;/%2E%2e%20/./é'])('%j has too many readings', (raw) => {
      const r = pathReadings(raw)
      expect(r.exhausted).toBe(true)
      expect(r.ambiguous).toBe(true)
      expect(r.paths[0]).toBe(normalisePath(raw).path)
    })

    it('a path with few states but more than 32 KiB to read is exhausted', () => {
      const r = pathReadings('/%2541'.repeat(6000))
      expect(r).toEqual({ paths: [normalisePath('/%2541'.repeat(6000)).path], ambiguous: true, exhausted: true })
    })

    it('exactly 32 KiB read is still within the bound', () => {
      const raw = '/' + 'a'.repeat(32766) + '%'
      expect(pathReadings(raw)).toEqual({ paths: [raw], ambiguous: true })
    })

    it('a string reached by several routes is read once: the 32 KiB bound counts distinct strings', () => {
      // Four strings of about 7000 characters (28 KiB): the path, without the tab, without the `;`, and `/a…a`, which
      // each of the other three reaches as well. Reading `/a…a` once per route would pass 32 KiB.
      const a = '/' + 'a'.repeat(7000)
      const r = pathReadings(a + '\t;')
      expect(r.exhausted).toBeUndefined()
      expect([...r.paths].sort()).toEqual([a, a + '\t', a + '\t;', a + ';'])
    })

    it('exactly 128 distinct strings to read is within the bound; 129 is exhausted', () => {
      // Counted by running the search without its bounds. Among them host-only strings such as `//é` (after two
      // decodes), whose scheme-relative reading is `/`: one string, not also an empty one. The `a` makes one more.
      const raw = '/%255c//%2e;x/%255c%5c\t%5c\té'
      expect(pathReadings(raw).exhausted).toBeUndefined()
      expect(pathReadings('/a' + raw.slice(1)).exhausted).toBe(true)
    })

    it('a path whose decode changes nothing adds no states', () => {
      expect(pathReadings('//..;//%0D\\%09/./..;\\x%2').exhausted).toBeUndefined()
    })
  })

  it('the first reading is normalisePath\'s', () => {
    for (const raw of ['/a/b', '/a;b/../c', '/%2525', '/x%3fy']) expect(pathReadings(raw).paths[0]).toBe(normalisePath(raw).path)
  })

  it('an undecodable path is ambiguous; one that only a second decode chokes on is not', () => {
    expect(pathReadings('/a%zz').ambiguous).toBe(true)
    expect(pathReadings('/a%25zz').ambiguous).toBe(false)
  })
})
