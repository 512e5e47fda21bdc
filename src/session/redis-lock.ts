/** Short locks in Redis (`SET NX PX`, released only by their holder): one refresh per session across replicas. */
import { randomBytes } from 'node:crypto'
import type { RedisConnection } from './redis.js'

export interface Locks {
  /** False when another process holds it. */
  lock(name: string, ms: number): Promise<boolean>
  unlock(name: string): Promise<void>
}

const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

export function createRedisLocks(redis: RedisConnection): Locks {
  const held = new Map<string, string>()
  const key = (name: string) => `${redis.prefix}lock:${name}`
  return {
    async lock(name, ms) {
      const token = randomBytes(12).toString('base64url')
      const ok = (await redis.run('lock', (r) => r.set(key(name), token, 'PX', ms, 'NX'))) === 'OK'
      if (ok) held.set(name, token)
      return ok
    },
    async unlock(name) {
      const token = held.get(name)
      held.delete(name)
      if (token) await redis.run('lock', (r) => r.eval(UNLOCK, 1, key(name), token))
    },
  }
}
