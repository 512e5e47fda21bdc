import { describe, expect, it } from '@jest/globals'
import { allowHeadOf } from '../../../src/routes/verify.js'

describe('allowHeadOf', () => {
  const list: [string, string][] = [
    ['X-Auth-Request-User', 'alice'],
    ['X-Auth-Request-Email', 'alice@example.com'],
    ['X-Auth-Request-Groups', 'staff,sre'],
  ]

  it('is the identity headers, flat, then the body type and length of each endpoint', () => {
    const tail = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length']
    const flat = list.flat()
    expect(allowHeadOf(list, 'auth')).toEqual([...flat, ...tail, String('Accepted'.length)])
    expect(allowHeadOf(list, 'forward_auth')).toEqual([...flat, ...tail, String('OK'.length)])
  })

  it('is built once per header list and endpoint (the hot path keeps it for as long as the identity is cached)', () => {
    const a = allowHeadOf(list, 'auth')
    expect(allowHeadOf(list, 'auth')).toBe(a)
    expect(allowHeadOf(list, 'forward_auth')).not.toBe(a)
    // Another list with equal content is another identity: its own head.
    expect(allowHeadOf(list.map((p) => [...p] as [string, string]), 'auth')).not.toBe(a)
  })

  it('a later header of the same name replaces the earlier one in its place, as Koa would leave it', () => {
    const dup: [string, string][] = [['X-User', 'a'], ['X-Email', 'e'], ['x-user', 'b']]
    expect(allowHeadOf(dup, 'auth').slice(0, 4)).toEqual(['x-user', 'b', 'X-Email', 'e'])
  })
})
