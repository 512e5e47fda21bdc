import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createCarryOver, stableKey } from '../../src/carry-over.js'
import { checkProperty } from '../helpers/property.js'

/** A settings object and the same one with its keys (at every depth) in another order. */
const reordered = (value: unknown, flip: boolean): unknown => {
  if (!value || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => reordered(v, flip))
  const entries = Object.entries(value).map(([k, v]) => [k, reordered(v, flip)] as const)
  return Object.fromEntries(flip ? entries.reverse() : entries)
}
const settings = fc.dictionary(fc.string(), fc.jsonValue())

describe('stableKey', () => {
  it('is the same for equal settings in any key order', () => {
    checkProperty(fc.property(settings, fc.boolean(), (s, flip) => stableKey(reordered(s, flip)) === stableKey(s)))
  })

  it('differs when any one setting changes', () => {
    checkProperty(
      fc.property(
        settings.filter((s) => Object.keys(s).length > 0).chain((s) => fc.tuple(fc.constant(s), fc.constantFrom(...Object.keys(s)), fc.jsonValue())),
        ([s, key, value]) => {
          fc.pre(stableKey(s[key]) !== stableKey(value))
          return stableKey({ ...s, [key]: value }) !== stableKey(s)
        },
      ),
    )
  })
})

describe('createCarryOver', () => {
  it('hands the next build what the previous one made under the same key, and only that', () => {
    const carry = createCarryOver()
    const first = carry.begin()
    const kept = first.take('a', () => ({ n: 1 }))
    const dropped = first.take('b', () => ({ n: 2 }))
    expect(first.take('a', () => ({ n: 3 }))).toBe(kept)
    first.commit()

    const second = carry.begin()
    expect(second.take('a', () => ({ n: 4 }))).toBe(kept)
    second.commit()

    const third = carry.begin()
    expect(third.take('b', () => ({ n: 5 }))).not.toBe(dropped)
  })

  it('keeps the state of the serving build when a build is abandoned', () => {
    const carry = createCarryOver()
    const first = carry.begin()
    const kept = first.take('a', () => ({}))
    first.commit()
    carry.begin().take('other', () => ({})) // never committed: the build threw
    expect(carry.begin().take('a', () => ({}))).toBe(kept)
  })
})
