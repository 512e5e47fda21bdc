/** Where sessions live besides the cookie: the redis store implements this (src/session/store-redis.ts). */
import type { Session } from './session.js'

export interface SessionStore {
  /** The session a cookie value (ticket) names; undefined when unknown or foreign. Throws SessionStoreError when unreachable. */
  read(value: string): Promise<Session | undefined>
  /** Stores a new session and returns the cookie value (the ticket). */
  create(session: Session): Promise<string>
  /** Rewrites a stored session (after a refresh), keeping its ticket. */
  update(ticket: string, session: Session): Promise<void>
  remove(ticket: string): Promise<void>
  /** Sessions recorded for an IdP session id or a subject (back-channel logout). */
  idsOf(kind: 'sid' | 'sub', provider: string, value: string): Promise<string[]>
  removeById(id: string): Promise<void>
}
