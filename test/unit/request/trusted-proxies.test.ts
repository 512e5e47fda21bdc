import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createTrustedProxyCheck } from '../../../src/request/trusted-proxies.js'
import { checkProperty } from '../../helpers/property.js'

describe('createTrustedProxyCheck', () => {
  it('trusts nobody without a list, and never an unknown peer', () => {
    const none = createTrustedProxyCheck([])
    expect(none('127.0.0.1')).toBe(false)
    expect(none('::1')).toBe(false)
    const some = createTrustedProxyCheck(['0.0.0.0/0', '::/0'])
    expect(some(undefined)).toBe(false)
    expect(some('')).toBe(false)
  })

  it('matches single addresses and CIDR ranges of both families', () => {
    const check = createTrustedProxyCheck(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1'])
    expect(check('10.1.2.3')).toBe(true)
    expect(check('11.0.0.1')).toBe(false)
    expect(check('192.168.1.7')).toBe(true)
    expect(check('192.168.1.8')).toBe(false)
    expect(check('fd12::5')).toBe(true)
    expect(check('fe80::1')).toBe(false)
    expect(check('::1')).toBe(true)
    expect(check('::2')).toBe(false)
  })

  it('reads IPv4-mapped IPv6 peers as IPv4, and only those', () => {
    const check = createTrustedProxyCheck(['10.0.0.0/8'])
    expect(check('::ffff:10.0.0.1')).toBe(true)
    expect(check('::ffff:11.0.0.1')).toBe(false)
    expect(createTrustedProxyCheck(['::1'])('::1')).toBe(true)
  })

  it('a /n range holds exactly the addresses sharing its first n bits, asked twice (generated)', () => {
    const ip = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')
    checkProperty(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 32 }), fc.nat({ max: 2 ** 32 - 1 }), (base, bits, peer) => {
        const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0
        const check = createTrustedProxyCheck([`${ip((base & mask) >>> 0)}/${bits}`])
        const inside = ((peer & mask) >>> 0) === ((base & mask) >>> 0)
        expect(check(ip(peer))).toBe(inside)
        expect(check(ip(peer))).toBe(inside)
        expect(check(`::ffff:${ip(peer)}`)).toBe(inside)
      }),
      200,
    )
  })

  it('keeps answering correctly after its memo is full', () => {
    const check = createTrustedProxyCheck(['10.0.0.0/24'])
    for (let i = 0; i < 1100; i++) check(`11.0.${i >> 8}.${i & 255}`)
    expect(check('10.0.0.9')).toBe(true)
    expect(check('11.0.0.9')).toBe(false)
  })
})
