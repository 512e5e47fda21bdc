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

/** The primary's table: each name held by one holder at a time, until it unlocks, is dropped, or its time passes. */
export function createLockTable() {
  const held = new Map<string, { holder: number; until: number }>()
  return {
    lock(name: string, holder: number, ms: number, now: number): boolean {
      const h = held.get(name)
      if (h && h.until > now && h.holder !== holder) return false
      held.set(name, { holder, until: now + Math.min(Math.max(Number(ms) || 0, 0), 60_000) })
      return true
    },
    /** Only by its holder: a late unlock after the time passed must not free a newer holder's lock. */
    unlock(name: string, holder: number): void {
      if (held.get(name)?.holder === holder) held.delete(name)
    },
    drop(holder: number): void {
      for (const [name, h] of held) if (h.holder === holder) held.delete(name)
    },
  }
}

/** In the primary: answer the workers' lock requests; a worker that exits loses its locks. */
export function serveClusterLocks(): void {
  const table = createLockTable()
  cluster.on('message', (worker, m: Request) => {
    if (m?.type !== REQUEST || typeof m.name !== 'string') return
    let ok = true
    if (m.op === 'lock') ok = table.lock(m.name, worker.id, m.ms, Date.now())
    else table.unlock(m.name, worker.id)
    if (worker.isConnected()) worker.send({ type: ANSWER, id: m.id, ok } satisfies Answer)
  })
  cluster.on('exit', (worker) => table.drop(worker.id))
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
