/**
 * Session state that outlives config reloads and is shared between the processes of one
 * deployment: the revocation list, refreshed cookie-store sessions (the "overlay": a refresh in
 * cookie mode cannot rewrite the browser's cookie from a verify answer), the refreshes in flight
 * and the back-channel logout tokens already used.
 */
import type { LRUCache } from 'lru-cache'
import { boundedLru } from '../lru.js'
import type { Logger } from 'pino'
import { createSessionBus, type SessionBus, type SessionEvent } from './bus.js'
import { createRevocations, type Revocations } from './revocation.js'
import type { Sealer } from './seal.js'
import type { Session } from './session.js'

export interface SessionShared {
  bus: SessionBus
  revocations: Revocations
  /** Newest refreshed state of cookie-store sessions, by session id. */
  overlay: LRUCache<string, Session>
  inflight: Map<string, Promise<Session | undefined>>
  /** Records `jti` (with provider) until `until`; false when it was seen already. */
  firstUse(key: string, until: number): boolean
  /** Applies a revocation here and sends it to every other process. */
  revoke(entry: Omit<Extract<SessionEvent, { t: 'revoke' }>, 't'>): void
  /** Stores a refreshed cookie-store session here and in every other process. */
  refreshed(session: Session): void
  /** The current config's cookie sealer, for refreshed-session events. */
  useSealer(sealer: Sealer): void
}

const refreshedPurpose = 'session-refreshed'

export function createSessionShared(maxEntries: number, logger: Logger): SessionShared {
  const bus = createSessionBus()
  const revocations = createRevocations()
  const overlay = boundedLru<string, Session>(maxEntries, { ttlAutopurge: false })
  const jtis = boundedLru<string, true>(10_000)
  let sealer: Sealer | undefined
  const keep = (s: Session) => {
    const old = overlay.get(s.id)
    if (old && (old.refreshedAt ?? 0) >= (s.refreshedAt ?? 0)) return
    const ttl = s.expiresAt * 1000 - Date.now()
    if (ttl > 0) overlay.set(s.id, s, { ttl })
  }
  bus.subscribe((event) => {
    if (event.t === 'revoke') revocations.apply(event)
    else if (event.t === 'refreshed' && sealer) {
      const s = sealer.open<Session>(event.sealed)
      if (s && typeof s.id === 'string') keep(s)
      else logger.warn('refreshed-session event that does not open with the cookie keys; ignored')
    }
  })
  return {
    bus,
    revocations,
    overlay,
    inflight: new Map(),
    firstUse(key, until) {
      if (jtis.has(key)) return false
      jtis.set(key, true, { ttl: Math.max(1000, until * 1000 - Date.now()) })
      return true
    },
    revoke(entry) {
      const event = { t: 'revoke' as const, ...entry }
      revocations.apply(event)
      bus.publish(event)
    },
    refreshed(session) {
      keep(session)
      if (sealer) bus.publish({ t: 'refreshed', sealed: sealer.seal(session) })
    },
    useSealer(s) {
      sealer = s
    },
  }
}

export { refreshedPurpose }
