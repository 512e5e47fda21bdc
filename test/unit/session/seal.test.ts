import { describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { createSealer } from '../../../src/session/seal.js'
import { checkProperty } from '../../helpers/property.js'

const k1 = randomBytes(32)
const k2 = randomBytes(32)

const flip = (sealed: string, index: number): string => {
  const raw = Buffer.from(sealed.slice(2), 'base64url')
  raw[index % raw.length]! ^= 1
  return '1.' + raw.toString('base64url')
}

describe('createSealer', () => {
  it('refuses to be built without a key', () => {
    expect(() => createSealer([], 'session')).toThrow(/at least one key/)
  })

  it('opens what it sealed, for any JSON object (generated)', () => {
    const sealer = createSealer([k1], 'session')
    checkProperty(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (value) => {
        const sealed = sealer.seal(value)
        expect(sealed.startsWith('1.')).toBe(true)
        expect(sealer.open(sealed)).toEqual(JSON.parse(JSON.stringify(value)))
      }),
      100,
    )
  })

  it('seals the same value differently each time (random IV)', () => {
    const sealer = createSealer([k1], 'session')
    expect(sealer.seal({ a: 1 })).not.toBe(sealer.seal({ a: 1 }))
  })

  it('any flipped bit makes the value unreadable (generated)', () => {
    const sealer = createSealer([k1], 'session')
    const sealed = sealer.seal({ user: 'alice', roles: ['admin'] })
    checkProperty(fc.property(fc.nat(), (i) => expect(sealer.open(flip(sealed, i))).toBeUndefined()), 200)
  })

  it('a value sealed for one purpose does not open as another', () => {
    const sealed = createSealer([k1], 'state').seal({ user: 'alice' })
    expect(createSealer([k1], 'session').open(sealed)).toBeUndefined()
    expect(createSealer([k1], 'state').open(sealed)).toEqual({ user: 'alice' })
  })

  it('seals with the first key and opens with any listed key (rotation)', () => {
    const old = createSealer([k2], 'session').seal('old')
    const rotated = createSealer([k1, k2], 'session')
    expect(rotated.open(old)).toBe('old')
    const fresh = rotated.seal('new')
    expect(createSealer([k1], 'session').open(fresh)).toBe('new')
    expect(createSealer([k2], 'session').open(fresh)).toBeUndefined()
  })

  it('answers undefined for anything it did not make, never throws', () => {
    const sealer = createSealer([k1], 'session')
    const good = sealer.seal('x')
    for (const bad of ['', '1.', 'x', '2.' + good.slice(2), good.slice(2), '1.' + 'A'.repeat(40), good.slice(0, 30), '1.!!!!']) {
      expect(sealer.open(bad)).toBeUndefined()
    }
    checkProperty(fc.property(fc.string(), (s) => expect(sealer.open('1.' + s)).toBeUndefined()))
  })

  it('refuses oversized values before decrypting; the smallest object still opens', () => {
    const sealer = createSealer([k1], 'session')
    expect(sealer.open('1.' + 'A'.repeat(16383))).toBeUndefined()
    // `{}`: 12 bytes IV + 2 bytes + 16 bytes tag
    const empty = sealer.seal({})
    expect(Buffer.from(empty.slice(2), 'base64url').length).toBe(30)
    expect(sealer.open(empty)).toEqual({})
    // authentic values open up to 16384 characters sealed, and not beyond
    const atLimit = sealer.seal('x'.repeat(12256))
    expect(atLimit.length).toBe(16384)
    expect(sealer.open(atLimit)).toBe('x'.repeat(12256))
    const over = sealer.seal('x'.repeat(12258))
    expect(over.length).toBeGreaterThan(16384)
    expect(sealer.open(over)).toBeUndefined()
  })
})
