/**
 * The redis session store. The cookie carries a ticket, `r1.<id>.<key>`: a random session id and
 * a random per-session key. Redis holds the session under the id, sealed (AES-256-GCM) with a
 * key derived from the ticket key and the cookie secret: a dump of Redis reveals no token, and
 * write access to Redis alone cannot forge a session. TTL = the session's remaining life.
 * Per-IdP-session and per-user id sets serve back-channel logout.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { Config } from '../config/load.js'
import type { RedisConnection } from './redis.js'
import { createSealer } from './seal.js'
import type { Session } from './session.js'
import type { SessionStore } from './store.js'

const TICKET = /^r1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/

export function createRedisStore(redis: RedisConnection, config: Config): SessionStore {
  const p = redis.prefix
  const sessionKey = (id: string) => `${p}session:${id}`
  const indexKey = (kind: 'sid' | 'sub', provider: string, value: string) => `${p}${kind}:${provider}:${value}`
  const sealerFor = (id: string, ticketKey: string) =>
    createSealer(
      config.cookie.keys.map((k) => createHmac('sha256', k).update(ticketKey).digest()),
      `redis-session:${id}`,
    )
  const parse = (ticket: string) => {
    const m = TICKET.exec(ticket)
    return m ? { id: m[1]!, key: m[2]! } : undefined
  }
  const ttlMs = (s: Session) => s.expiresAt * 1000 - Date.now()

  return {
    async read(ticket) {
      const t = parse(ticket)
      if (!t) return undefined
      const blob = await redis.run('read', (r) => r.get(sessionKey(t.id)))
      if (!blob) return undefined
      const session = sealerFor(t.id, t.key).open<Session>(blob)
      return session && session.id === t.id ? session : undefined
    },
    async create(session) {
      const key = randomBytes(32).toString('base64url')
      const ttl = ttlMs(session)
      const blob = sealerFor(session.id, key).seal(session)
      await redis.run('write', async (r) => {
        await r.set(sessionKey(session.id), blob, 'PX', ttl)
        const indexes = [indexKey('sub', session.identity.provider, session.identity.subject)]
        if (session.sid) indexes.push(indexKey('sid', session.identity.provider, session.sid))
        for (const k of indexes) {
          await r.sadd(k, session.id)
          // An index lives as long as its longest session could.
          await r.pexpire(k, config.cookie.expireSeconds * 1000)
        }
      })
      return `r1.${session.id}.${key}`
    },
    async update(ticket, session) {
      const t = parse(ticket)
      if (!t || t.id !== session.id) return
      const ttl = ttlMs(session)
      if (ttl <= 0) return
      // XX: a session deleted meanwhile (sign-out, back-channel logout) is not brought back.
      await redis.run('write', (r) => r.set(sessionKey(t.id), sealerFor(t.id, t.key).seal(session), 'PX', ttl, 'XX'))
    },
    async remove(ticket) {
      const t = parse(ticket)
      if (t) await redis.run('delete', (r) => r.del(sessionKey(t.id)))
    },
    async removeById(id) {
      await redis.run('delete', (r) => r.del(sessionKey(id)))
    },
    async idsOf(kind, provider, value) {
      return redis.run('read', (r) => r.smembers(indexKey(kind, provider, value)))
    },
  }
}
