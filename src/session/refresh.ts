/**
 * Revalidation with the IdP before answering, once a session is `session.refresh` old (or its
 * passed-on access token is about to expire). One refresh per session in flight per process
 * (concurrent requests wait for it); across processes and replicas a short store lock, so a
 * rotating refresh token is never used twice. A refusal ends the session.
 */
import type { Logger } from 'pino'
import { SessionEndedError } from '../errors.js'
import type { Metrics } from '../metrics.js'
import type { Provider } from '../plugin.js'
import type { Session } from './session.js'
import type { SessionShared } from './shared.js'
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
      if (!(err instanceof SessionEndedError)) {
        d.metrics.sessionRefresh('error', (performance.now() - started) / 1000)
        throw err
      }
      d.metrics.sessionRefresh('refused', (performance.now() - started) / 1000)
      d.logger.info({ provider: s.identity.provider, subject: s.identity.subject, reason: err.message }, 'session ended by the IdP')
      // Remembered, so the dead refresh token is not tried again by every process.
      d.shared.revoke({ kind: 'id', provider: s.identity.provider, value: s.id, at: epoch(), until: s.expiresAt })
      d.metrics.sessionRevocation('refresh_refused')
      await d.store?.remove(ticket)
      return undefined
    }
  }

  /** Another process holds the lock: wait for its result to appear in the store. */
  const awaitOther = async (s: Session, ticket: string): Promise<Session | undefined> => {
    for (let waited = 0; waited < LOCK_MS; waited += WAIT_STEP_MS) {
      await sleep(WAIT_STEP_MS)
      const now = await d.store!.read(ticket)
      if (!now) return undefined
      if ((now.refreshedAt ?? 0) > (s.refreshedAt ?? 0)) return now
    }
    throw new Error('refresh by another process did not finish in time')
  }

  const run = async (s: Session, ticket: string): Promise<Session | undefined> => {
    if (!d.store) {
      const next = await renew(s, ticket)
      if (next) d.shared.refreshed(next)
      return next
    }
    const lock = `refresh:${s.id}`
    if (!(await d.store.lock(lock, LOCK_MS))) return awaitOther(s, ticket)
    try {
      // It may have been refreshed between our read and the lock.
      const latest = await d.store.read(ticket)
      if (!latest) return undefined
      if ((latest.refreshedAt ?? 0) > (s.refreshedAt ?? 0) && dueAt(latest) > epoch()) return latest
      const next = await renew(latest, ticket)
      if (next) await d.store.update(ticket, next)
      return next
    } finally {
      await d.store.unlock(lock).catch(() => undefined)
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
