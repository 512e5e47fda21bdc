import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { allowHead } from '../../../src/routes/verify.js'
import { DEBUG_RULE_HEADER } from '../../../src/http/deny.js'
import { assertProperty } from '../../helpers/property.js'

describe('allowHead', () => {
  const list = ['X-Auth-Request-User', 'alice', 'X-Auth-Request-Email', 'alice@example.com', 'X-Auth-Request-Groups', 'staff,sre']
  const tail = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length']

  it('is the identity headers as they are, then the body type and length of each endpoint', () => {
    expect(allowHead(list, 'auth', undefined)).toEqual([...list, ...tail, String('Accepted'.length)])
    expect(allowHead(list, 'forward_auth', undefined)).toEqual([...list, ...tail, String('OK'.length)])
    expect(allowHead([], 'auth', undefined)).toEqual([...tail, '8'])
  })

  it('is a new array each time (built per request, never kept per identity), and leaves the list as it was', () => {
    const copy = [...list]
    const a = allowHead(list, 'auth', undefined)
    expect(allowHead(list, 'auth', undefined)).not.toBe(a)
    expect(a).not.toBe(list)
    expect(list).toEqual(copy)
  })

  it('the debug rule header comes after the identity headers, or replaces one of its name in its place, as Koa\'s ctx.set leaves it', () => {
    expect(allowHead(list, 'auth', 'admins')).toEqual([...list, DEBUG_RULE_HEADER, 'admins', ...tail, '8'])
    const clash = ['X-User', 'a', 'x-gatehouse-rule', 'mine', 'X-Email', 'e']
    expect(allowHead(clash, 'forward_auth', 'r1')).toEqual(['X-User', 'a', DEBUG_RULE_HEADER, 'r1', 'X-Email', 'e', ...tail, '2'])
  })

  it('holds every pair of the list once and the tail once, whatever the list and rule (property)', () => {
    const name = fc.constantFrom('X-A', 'X-B', 'X-Gatehouse-Rule', 'x-gatehouse-rule', 'X-C')
    assertProperty(
      fc.property(fc.uniqueArray(fc.tuple(name, fc.string({ maxLength: 4 })), { selector: ([n]) => n.toLowerCase(), maxLength: 4 }), fc.option(fc.string({ maxLength: 4 }), { nil: undefined }), fc.constantFrom('auth' as const, 'forward_auth' as const), (pairs, rule, endpoint) => {
        const head = allowHead(pairs.flat(), endpoint, rule)
        const expected = new Map<string, [string, string]>()
        for (const [n, v] of pairs) expected.set(n.toLowerCase(), [n, v])
        if (rule !== undefined) expected.set(DEBUG_RULE_HEADER.toLowerCase(), [DEBUG_RULE_HEADER, rule])
        expected.set('content-type', ['Content-Type', 'text/plain; charset=utf-8'])
        expected.set('content-length', ['Content-Length', endpoint === 'auth' ? '8' : '2'])
        const got: [string, string][] = []
        for (let i = 0; i < head.length; i += 2) got.push([head[i]!, head[i + 1]!])
        expect(got).toEqual([...expected.values()])
      }),
    )
  })
})
