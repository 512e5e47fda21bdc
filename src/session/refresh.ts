/**
 * Revalidation with the IdP before answering, once a session is `session.refresh` old (or its
 * passed-on access token is about to expire). One refresh per session in flight per process
 * (concurrent requests wait for it); across processes and replicas a short lock (Redis, or the
 * cluster primary's for the workers of one host without Redis), so a rotating refresh token is never
 * used twice: an IdP refuses a reused one and ends the session for good. A refusal ends the session.
 */
import type { Logger } from 'pino'
import { SessionEndedError } from '../errors.js'
import type { Metrics } from '../metrics.js'
import type { Provider } from '../plugin.js'
import type { Session } from './session.js'
import type { SessionShared } from './shared.js'
import type { Locks } from './redis-lock.js'
import type { SessionStore } from './store.js'

/** An access token handed to an app keeps at least this long (or half its life, if shorter). */
export const ACCESS_TOKEN_MARGIN = 30
const LOCK_MS = 10_000
const WAIT_STEP_MS = 50

export interface RefreshDeps {
  providers: ReadonlyMap<string, Provider>
  refreshSeconds: number
  /** The app receives the access token (passAccessToken/passAuthorization). */
  passesAccessToken: boolean
  expireSeconds: number
  shared: SessionShared
  store?: SessionStore
  /** Redis locks when a Redis is configured (either store), else the cluster primary's in a worker. */
  locks?: Locks
  metrics: Metrics
  logger: Logger
}

const epoch = () => Math.floor(Date.now() / 1000)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export function createRefresher(d: RefreshDeps) {
  const canRefresh = (s: Session) => d.providers.get(s.identity.provider)?.refresh !== undefined

  /** Epoch seconds when the session must be revalidated next (Infinity: never). */
  const dueAt = (s: Session): number => {
    if (!canRefresh(s)) return Infinity
    let at = d.refreshSeconds > 0 ? (s.refreshedAt ?? s.createdAt) + d.refreshSeconds : Infinity
    if (d.passesAccessToken && s.accessExpiresAt !== undefined && s.refreshToken) {
      const issued = s.refreshedAt ?? s.createdAt
      at = Math.min(at, s.accessExpiresAt - Math.min(ACCESS_TOKEN_MARGIN, (s.accessExpiresAt - issued) / 2))
    }
    return at
  }

  const renew = async (s: Session, ticket: string): Promise<Session | undefined> => {
    const provider = d.providers.get(s.identity.provider)!
    const started = performance.now()
    try {
      const r = await provider.refresh!({ identity: s.identity, idToken: s.idToken, accessToken: s.accessToken, refreshToken: s.refreshToken })
      const now = epoch()
      const expiresAt = Math.min(s.createdAt + d.expireSeconds, r.refreshExpiresAt ?? Infinity)
      d.metrics.sessionRefresh('success', (performance.now() - started) / 1000)
      return {
        ...s,
        identity: { ...r.identity, expiresAt },
        idToken: r.idToken ?? s.idToken,
        accessToken: r.accessToken ?? s.accessToken,
        accessExpiresAt: r.accessExpiresAt,
        refreshToken: r.refreshToken ?? s.refreshToken,
        sid: s.sid ?? r.sid,
        refreshedAt: now,
        expiresAt,
      }
    } catch (err) {
      // A third-party plugin that cannot import SessionEndedError throws any error with status 401.
      if (!(err instanceof SessionEndedError) && (err as { status?: unknown }).status !== 401) {
        d.metrics.sessionRefresh('error', (performance.now() - started) / 1000)
        throw err
      }
      d.metrics.sessionRefresh('refused', (performance.now() - started) / 1000)
      d.logger.info({ provider: s.identity.provider, subject: s.identity.subject, reason: (err as Error).message }, 'session ended by the IdP')
      // Remembered, so the dead refresh token is not tried again by every process.
      d.shared.revoke({ kind: 'id', provider: s.identity.provider, value: s.id, at: epoch(), until: s.expiresAt })
      d.metrics.sessionRevocation('refresh_refused')
      await d.store?.remove(ticket)
      return undefined
    }
  }

  const newer = (a: Session | undefined, than: Session) => a !== undefined && (a.refreshedAt ?? 0) > (than.refreshedAt ?? 0)
  /** The session's newest state: the store's, or (cookie store) the one refreshed by any process. */
  const latest = async (s: Session, ticket: string): Promise<Session | undefined> => {
    if (d.store) return d.store.read(ticket)
    const o = d.shared.overlay.get(s.id)
    return newer(o, s) ? o : s
  }

  /** Another process holds the lock: wait for its result (the store, or its refreshed-session event). */
  const awaitOther = async (s: Session, ticket: string): Promise<Session | undefined> => {
    for (let waited = 0; waited < LOCK_MS; waited += WAIT_STEP_MS) {
      await sleep(WAIT_STEP_MS)
      const now = await latest(s, ticket)
      if (!now || d.shared.revocations.isRevoked(now)) return undefined
      if (newer(now, s)) return now
    }
    throw new Error('refresh by another process did not finish in time')
  }

  const renewAndKeep = async (s: Session, ticket: string): Promise<Session | undefined> => {
    const next = await renew(s, ticket)
    if (next && d.store) await d.store.update(ticket, next)
    else if (next) d.shared.refreshed(next)
    return next
  }

  const run = async (s: Session, ticket: string): Promise<Session | undefined> => {
    if (!d.locks) return renewAndKeep(s, ticket)
    const lock = `refresh:${s.id}`
    let held: boolean
    try {
      held = await d.locks.lock(lock, LOCK_MS)
    } catch (err) {
      // The cookie store does not need Redis to refresh: without it, replicas refresh on their own.
      if (d.store) throw err
      return renewAndKeep(s, ticket)
    }
    if (!held) return awaitOther(s, ticket)
    try {
      // It may have been refreshed between our read and the lock.
      const now = await latest(s, ticket)
      if (!now) return undefined
      if (newer(now, s) && dueAt(now) > epoch()) return now
      return await renewAndKeep(now, ticket)
    } finally {
      await d.locks.unlock(lock).catch(() => undefined)
    }
  }

  return {
    dueAt,
    /** The session, revalidated first when due; undefined when the IdP ended it. `ticket`: the cookie value. */
    current(s: Session, ticket: string): Session | Promise<Session | undefined> {
      if (dueAt(s) > epoch()) return s
      let pending = d.shared.inflight.get(s.id)
      if (!pending) {
        pending = run(s, ticket).finally(() => d.shared.inflight.delete(s.id))
        d.shared.inflight.set(s.id, pending)
      }
      return pending
    },
  }
}
