import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { createCredentialCache, hashCredential, SWEEP_INTERVAL_MS, type Verified } from '../../../src/tokens/cache.js'
import { createMetrics } from '../../../src/metrics.js'
import { assertProperty } from '../../helpers/property.js'

describe('hashCredential', () => {
  it('is the base64url SHA-256 of the credential (cache keys stay as they were), for any string', () => {
    assertProperty(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (s) => {
        expect(hashCredential(s)).toBe(createHash('sha256').update(s).digest('base64url'))
      }),
    )
  })
})

describe('createCredentialCache: expired entries are swept on insert', () => {
  const entry = (expiresInS: number, at: number): Verified<{ n: number }> => ({ value: { n: 1 }, expiresAt: at / 1000 + expiresInS })
  const make = (maxTtlSeconds: number, clock: { t: number }) =>
    createCredentialCache<{ n: number }>({ name: 'bearer', maxEntries: 100_000, maxTtlSeconds, metrics: createMetrics(), now: () => clock.t })

  it('drops entries that expired once a sweep interval has passed, and keeps the live ones', () => {
    const clock = { t: 1_000_000 }
    const cache = make(300, clock)
    for (let i = 0; i < 50; i++) cache.set(`short-${i}`, entry(10, clock.t))
    cache.set('long', entry(3600, clock.t))
    clock.t += SWEEP_INTERVAL_MS
    expect(cache.size).toBe(51) // nothing reads the expired entries: without a sweep they stay
    cache.set('trigger', entry(3600, clock.t))
    expect(cache.size).toBe(2)
    expect(cache.peek('long')).toEqual({ n: 1 })
    expect(cache.peek('short-0')).toBeUndefined()
  })

  it('for any inserts and clock steps, the cache never holds an entry that expired before the last sweep, and loses no live one', () => {
    assertProperty(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.record({ stepMs: fc.integer({ min: 0, max: 90_000 }), ttlS: fc.integer({ min: 1, max: 900 }) }), { minLength: 1, maxLength: 60 }),
        (maxTtlSeconds, inserts) => {
          const clock = { t: 5_000_000 }
          const cache = make(maxTtlSeconds, clock)
          const sweepMs = Math.min(maxTtlSeconds * 1000, SWEEP_INTERVAL_MS)
          const expiry = new Map<string, number>()
          let sweptAt = clock.t
          inserts.forEach(({ stepMs, ttlS }, i) => {
            clock.t += stepMs
            cache.set(`k${i}`, entry(ttlS, clock.t))
            expiry.set(`k${i}`, clock.t + Math.min(ttlS, maxTtlSeconds) * 1000)
            if (clock.t - sweptAt >= sweepMs) sweptAt = clock.t
            const unswept = [...expiry.values()].filter((e) => e >= sweptAt).length
            expect(cache.size).toBeLessThanOrEqual(unswept)
          })
          for (const [key, e] of expiry) if (e > clock.t) expect(cache.peek(key)).toEqual({ n: 1 })
        },
      ),
    )
  })
})
