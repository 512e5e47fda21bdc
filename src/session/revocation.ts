/**
 * The revocation list: sessions ended by sign-out (by Gatehouse id) and by back-channel logout (by
 * the IdP's `sid`, or every session of a `sub` created before the logout). Entries are kept until
 * the sessions they name would have expired anyway. Every change bumps `generation`, which makes
 * each process re-check its cached sessions on their next use (src/session/session.ts).
 */
import type { Session } from './session.js'
import type { RevokeKind, SessionEvent } from './bus.js'

type Revoke = Extract<SessionEvent, { t: 'revoke' }>

export interface Revocations {
  generation(): number
  isRevoked(session: Session): boolean
  /** Records a revocation (local, or received from another process). */
  apply(entry: Revoke): void
  readonly size: number
}

const keyOf = (kind: RevokeKind, provider: string, value: string) => `${kind}\0${provider}\0${value}`

export function createRevocations(now: () => number = () => Date.now() / 1000): Revocations {
  const entries = new Map<string, { at: number; until: number }>()
  let generation = 0
  let nextPrune = 0
  const prune = (t: number) => {
    if (t < nextPrune) return
    nextPrune = t + 60
    for (const [k, e] of entries) if (e.until <= t) entries.delete(k)
  }
  return {
    generation: () => generation,
    isRevoked(s) {
      if (entries.size === 0) return false
      const p = s.identity.provider
      if (entries.has(keyOf('id', p, s.id))) return true
      if (s.sid !== undefined && entries.has(keyOf('sid', p, s.sid))) return true
      const bySub = entries.get(keyOf('sub', p, s.identity.subject))
      return bySub !== undefined && s.createdAt <= bySub.at
    },
    apply(e) {
      const t = now()
      prune(t)
      if (e.until <= t || typeof e.value !== 'string' || typeof e.provider !== 'string') return
      const key = keyOf(e.kind, e.provider, e.value)
      const old = entries.get(key)
      entries.set(key, { at: Math.max(e.at, old?.at ?? 0), until: Math.max(e.until, old?.until ?? 0) })
      generation++
    },
    get size() {
      return entries.size
    },
  }
}
