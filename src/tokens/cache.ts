/**
 * The verified-credential cache shared by cookie sessions and bearer tokens: lru-cache keyed by
 * SHA-256 of the credential, TTL = min(configured max, the credential's remaining life), so an
 * entry never outlives its token. Concurrent misses for one key share a single verification;
 * failures are remembered only briefly and in a small, separate cache.
 */
import { hash } from 'node:crypto'
import { boundedLru } from '../lru.js'
import type { Metrics } from '../metrics.js'

export interface Verified<T> {
  value: T
  /** Epoch seconds. */
  expiresAt: number
}

export interface CredentialCache<T> {
  /** Synchronous hit or undefined; the hot path tries this before anything async. */
  peek(key: string): T | undefined
  /**
   * Returns the cached value or runs `verify` once per key, however many callers wait.
   * `verify` resolves to undefined for an invalid credential (remembered for `negativeTtlMs`).
   */
  resolve(key: string, verify: () => Promise<Verified<T> | undefined>): Promise<T | undefined>
  set(key: string, verified: Verified<T>): void
  delete(key: string): void
  readonly size: number
}

/** One-shot `crypto.hash`: no Hash object per request (the same digest as createHash, cheaper on the hot path). */
export const hashCredential = (credential: string): string => hash('sha256', credential, 'base64url')

/** The longest an expired entry waits for the sweep (shorter when cache.maxTtl is). */
export const SWEEP_INTERVAL_MS = 60_000

export interface CacheOptions {
  name: string
  maxEntries: number
  maxTtlSeconds: number
  metrics: Metrics
  /** How long an invalid credential is remembered; 0 disables the negative cache. */
  negativeTtlMs?: number
  now?: () => number
}

export function createCredentialCache<T extends {}>(options: CacheOptions): CredentialCache<T> {
  const { name, metrics } = options
  const now = options.now ?? Date.now
  const positive = boundedLru<string, T>(options.maxEntries, {
    ttlAutopurge: false,
    allowStale: false,
    // lru-cache remembers "now" for ttlResolution ms of real time; an injected clock (tests) is read every time
    ttlResolution: options.now ? 0 : 1,
    perf: { now },
    dispose: (_v, _k, reason) => {
      if (reason === 'evict') metrics.cacheEvent(name, 'evict')
    },
  })
  const negativeTtl = options.negativeTtlMs ?? 5000
  const negative = boundedLru<string, true>(Math.min(10_000, options.maxEntries), { ttl: Math.max(negativeTtl, 1), perf: { now } })
  const inflight = new Map<string, Promise<T | undefined>>()
  metrics.cacheEntries(name, () => positive.size)

  // lru-cache keeps an expired entry until it is read or the size bound evicts it, and entries keyed for a
  // runtime a reload replaced are never read again: a cache of once-seen tokens would fill to maxEntries and
  // stay there. Inserts sweep what has expired, at most once per sweep interval (O(entries), no timer).
  const sweepMs = Math.min(options.maxTtlSeconds * 1000, SWEEP_INTERVAL_MS)
  let sweptAt = now()
  const set = (key: string, verified: Verified<T>) => {
    const at = now()
    const ttlMs = Math.min(options.maxTtlSeconds * 1000, verified.expiresAt * 1000 - at)
    if (ttlMs > 0) positive.set(key, verified.value, { ttl: ttlMs })
    if (at - sweptAt >= sweepMs) {
      sweptAt = at
      positive.purgeStale()
    }
  }

  return {
    peek(key) {
      const hit = positive.get(key)
      if (hit !== undefined) metrics.cacheEvent(name, 'hit')
      return hit
    },
    async resolve(key, verify) {
      const hit = positive.get(key)
      if (hit !== undefined) {
        metrics.cacheEvent(name, 'hit')
        return hit
      }
      if (negativeTtl > 0 && negative.has(key)) {
        metrics.cacheEvent(name, 'negative_hit')
        return undefined
      }
      const pending = inflight.get(key)
      if (pending) {
        metrics.cacheEvent(name, 'coalesced')
        return pending
      }
      metrics.cacheEvent(name, 'miss')
      const run = (async () => {
        try {
          const verified = await verify()
          if (verified && verified.expiresAt * 1000 > now()) {
            set(key, verified)
            return verified.value
          }
          if (negativeTtl > 0) negative.set(key, true)
          return undefined
        } finally {
          inflight.delete(key)
        }
      })()
      inflight.set(key, run)
      return run
    },
    set,
    delete(key) {
      positive.delete(key)
    },
    get size() {
      return positive.size
    },
  }
}
