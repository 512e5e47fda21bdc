import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { boundedLru } from '../../src/lru.js'
import { assertProperty } from '../helpers/property.js'

describe('boundedLru', () => {
  it('holds at most maxEntries, evicting the least recently used (dispose reason "evict")', () => {
    const evicted: string[] = []
    const lru = boundedLru<string, number>(2, { dispose: (_v, k, reason) => reason === 'evict' && evicted.push(k) })
    lru.set('a', 1)
    lru.set('b', 2)
    lru.get('a')
    lru.set('c', 3)
    expect([...lru.keys()].sort()).toEqual(['a', 'c'])
    expect(evicted).toEqual(['b'])
  })

  it('keeps the most recent maxEntries distinct keys, like a preallocated lru-cache of that max (property)', () => {
    assertProperty(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.tuple(fc.constantFrom('get', 'set'), fc.integer({ min: 0, max: 9 })), { maxLength: 60 }), (max, ops) => {
        const lru = boundedLru<number, number>(max)
        const order: number[] = [] // least recently used first
        const touch = (k: number) => {
          const i = order.indexOf(k)
          if (i >= 0) order.splice(i, 1)
          order.push(k)
        }
        for (const [op, k] of ops) {
          if (op === 'set') {
            lru.set(k, k)
            touch(k)
            if (order.length > max) order.shift()
          } else if (lru.get(k) !== undefined) touch(k)
          else expect(order).not.toContain(k)
        }
        expect(lru.size).toBe(order.length)
        expect([...lru.keys()].sort()).toEqual([...order].sort())
      }),
    )
  })

  it('allocates nothing for its bound up front (lru-cache with max: 1,000,000 holds 16 MB of index arrays empty)', () => {
    const before = process.memoryUsage().heapUsed
    const lru = boundedLru<string, true>(1_000_000, { ttl: 1000 })
    lru.set('k', true)
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(2 * 1024 * 1024)
    expect(lru.get('k')).toBe(true)
  })
})
