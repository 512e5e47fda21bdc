import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { convertRegex } from '../../../src/migrate/regex.js'
import { checkProperty } from '../../helpers/property.js'

const REGEXES = ['^/assets/', '\\.(css|js|png)$', '^/-/(healthy|ready)$', '/metrics', '^/a|^/b', '^/api/v[0-9]+/health$', 'probe', '^/x$|/y']
const path = fc
  .array(fc.constantFrom('assets', 'a', 'b', 'x', 'y', 'api', 'v1', 'v22', 'health', '-', 'healthy', 'ready', 'metrics', 'probe', 'm.css', 'q.js', 'z.png', ';p', '', '\\'), { maxLength: 5 })
  .map((s) => '/' + s.join('/'))

describe('convertRegex', () => {
  it('produces an anchored regex Gatehouse accepts', () => {
    for (const r of REGEXES) {
      const c = convertRegex(r)
      expect('regex' in c && c.regex.startsWith('^') && c.regex.endsWith('$')).toBe(true)
    }
  })

  it('matches exactly the paths the unanchored Go regex matches, except ; \\ // (refused, as oauth2-proxy does)', () => {
    checkProperty(
      fc.property(fc.constantFrom(...REGEXES), fc.boolean(), path, (r, negate, p) => {
        const c = convertRegex(r, negate)
        if (!('regex' in c)) throw new Error(c.problem)
        const refused = /;|\\|\/\//.test(p)
        const expected = !refused && new RegExp(r).test(p) !== negate
        expect(new RegExp(c.regex).test(p)).toBe(expected)
      }),
    )
  })

  it('refuses RE2-only syntax instead of changing its meaning', () => {
    for (const r of ['(?i)^/admin', '^/\\Qa.b\\E', '[[:alpha:]]+', '(?P<n>x)']) expect(convertRegex(r)).toHaveProperty('problem')
    expect(convertRegex('^/(unclosed')).toHaveProperty('problem')
  })
})
