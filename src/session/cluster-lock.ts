/**
 * Short locks held by the cluster primary, for `server.workers` without Redis: one refresh per
 * session across the workers of one host. Without it two workers revalidating the same session at
 * once both spent its refresh token; an IdP that rotates refresh tokens refuses the second use (and
 * oidc-provider, like other IdPs with reuse detection, revokes the whole grant), so the session
 * ended in every worker. Across replicas this needs Redis (src/session/redis-lock.ts).
 */
import cluster from 'node:cluster'
import type { Locks } from './redis-lock.js'

const REQUEST = 'gatehouse:lock-request'
const ANSWER = 'gatehouse:lock-answer'
/** The primary answers at once; a silent one (exiting) must not hold a request up for long. */
const TIMEOUT_MS = 3000

interface Request { type: typeof REQUEST; id: number; op: 'lock' | 'unlock'; name: string; ms: number }
interface Answer { type: typeof ANSWER; id: number; ok: boolean }

/** In the primary: grant each name to one worker at a time, until it unlocks, exits, or `ms` pass. */
export function serveClusterLocks(): void {
  const held = new Map<string, { worker: number; until: number }>()
  cluster.on('message', (worker, m: Request) => {
    if (m?.type !== REQUEST || typeof m.name !== 'string') return
    const now = Date.now()
    const h = held.get(m.name)
    let ok = true
    if (m.op === 'lock') {
      ok = !h || h.until <= now || h.worker === worker.id
      if (ok) held.set(m.name, { worker: worker.id, until: now + Math.min(Math.max(Number(m.ms) || 0, 0), 60_000) })
    } else if (h?.worker === worker.id) held.delete(m.name)
    if (worker.isConnected()) worker.send({ type: ANSWER, id: m.id, ok } satisfies Answer)
  })
  cluster.on('exit', (worker) => {
    for (const [name, h] of held) if (h.worker === worker.id) held.delete(name)
  })
}

let workerLocks: Locks | undefined

/** In a worker: the primary's locks (one instance per process, kept across config reloads). */
export function clusterLocks(): Locks {
  if (workerLocks) return workerLocks
  let next = 0
  const pending = new Map<number, { resolve: (ok: boolean) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>()
  process.on('message', (m: Answer) => {
    if (m?.type !== ANSWER) return
    const p = pending.get(m.id)
    if (!p) return
    pending.delete(m.id)
    clearTimeout(p.timer)
    p.resolve(m.ok === true)
  })
  const ask = (op: Request['op'], name: string, ms: number) =>
    new Promise<boolean>((resolve, reject) => {
      const id = next++
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error('cluster lock: the primary did not answer'))
      }, TIMEOUT_MS)
      pending.set(id, { resolve, reject, timer })
      process.send!({ type: REQUEST, id, op, name, ms } satisfies Request)
    })
  workerLocks = {
    lock: (name, ms) => ask('lock', name, ms),
    async unlock(name) {
      await ask('unlock', name, 0)
    },
  }
  return workerLocks
}
