/**
 * What happens to a session after login, for one config version: its newest state (a refresh
 * made by another process in cookie mode), revocation, revalidation when due, and its end at
 * sign-out. session.ts calls this from `load` on a cache miss; a cache hit only compares the
 * revocation generation.
 */
import type { Logger } from 'pino'
import type { Config } from '../config/load.js'
import type { Metrics } from '../metrics.js'
import type { LogoutClaims, Provider } from '../plugin.js'
import { passesAccessToken } from '../headers/mapping.js'
import { createRefresher } from './refresh.js'
import { createSealer } from './seal.js'
import type { Session } from './session.js'
import { refreshedPurpose, type SessionShared } from './shared.js'
import type { Locks } from './redis-lock.js'
import type { SessionStore } from './store.js'

export interface SessionLifecycle {
  /** Present in the redis store; the cookie store seals sessions into the cookie. */
  store?: SessionStore
  generation(): number
  isRevoked(session: Session): boolean
  /** The session as it stands: newest state, revalidated when due; undefined when revoked or ended. */
  current(session: Session, ticket: string): Session | undefined | Promise<Session | undefined>
  /** Epoch seconds until which a verified session may be answered from memory. */
  cacheUntil(session: Session): number
  /** Sign-out: the session is refused from now on, in every process and replica. */
  end(session: Session, ticket: string): Promise<void>
  /**
   * Back-channel logout: every session of an IdP session (`sid`) or of a user (`sub`, sessions
   * created until now) is refused from now on. False when the token's `jti` was used before.
   */
  logout(provider: string, claims: LogoutClaims): Promise<boolean>
}

export interface LifecycleDeps {
  config: Config
  shared: SessionShared
  providers: ReadonlyMap<string, Provider>
  store?: SessionStore
  locks?: Locks
  metrics: Metrics
  logger: Logger
}

const epoch = () => Math.floor(Date.now() / 1000)

export function createSessionLifecycle(d: LifecycleDeps): SessionLifecycle {
  const { config, shared, store } = d
  shared.useSealer(createSealer(config.cookie.keys, refreshedPurpose))
  const refresher = createRefresher({
    providers: d.providers,
    refreshSeconds: config.session.refreshSeconds,
    passesAccessToken: passesAccessToken(config.headers),
    expireSeconds: config.cookie.expireSeconds,
    shared,
    store,
    locks: d.locks,
    metrics: d.metrics,
    logger: d.logger,
  })
  const newest = (s: Session): Session => {
    if (store) return s
    const o = shared.overlay.get(s.id)
    return o && (o.refreshedAt ?? 0) > (s.refreshedAt ?? 0) ? o : s
  }
  return {
    store,
    generation: shared.revocations.generation,
    isRevoked: shared.revocations.isRevoked,
    current(session, ticket) {
      const s = newest(session)
      if (shared.revocations.isRevoked(s)) return undefined
      return refresher.current(s, ticket)
    },
    // At least a second: a session renewed with an access token that is due again at once is still a session.
    cacheUntil: (s) => Math.min(s.expiresAt, Math.max(refresher.dueAt(s), epoch() + 1)),
    async end(s, ticket) {
      shared.revoke({ kind: 'id', provider: s.identity.provider, value: s.id, at: epoch(), until: s.expiresAt })
      d.metrics.sessionRevocation('sign_out')
      shared.overlay.delete(s.id)
      await store?.remove(ticket)
    },
    async logout(provider, claims) {
      if (!shared.firstUse(`${provider}\0${claims.jti}`, claims.expiresAt)) return false
      const at = epoch()
      const [kind, value] = claims.sid ? (['sid', claims.sid] as const) : (['sub', claims.sub!] as const)
      // Any session it could name ends by cookie.expire at the latest.
      shared.revoke({ kind, provider, value, at, until: at + config.cookie.expireSeconds })
      d.metrics.sessionRevocation('backchannel')
      if (store) await Promise.all((await store.idsOf(kind, provider, value)).map((id) => store.removeById(id)))
      return true
    },
  }
}
