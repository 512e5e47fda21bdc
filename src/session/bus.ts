/**
 * Session events shared between processes: revocations, and refreshed sessions in the cookie
 * store. Between `server.workers` processes through the cluster primary (IPC); between replicas
 * through Redis pub/sub when a Redis is configured (src/session/redis.ts attaches it). Each event
 * carries its origin so a process ignores its own echo; applying an event twice is harmless.
 */
import cluster from 'node:cluster'
import { randomBytes } from 'node:crypto'

export type RevokeKind = 'id' | 'sid' | 'sub'

export type SessionEvent =
  /** `at`: epoch seconds of the revocation; sessions of a `sub` created later are not affected. `until`: when to forget it. */
  | { t: 'revoke'; kind: RevokeKind; provider: string; value: string; at: number; until: number }
  /** A refreshed cookie-store session, sealed with the cookie keys. */
  | { t: 'refreshed'; sealed: string }

interface Envelope {
  gatehouse: 'session-bus'
  origin: string
  event: SessionEvent
}

export interface Transport {
  send(message: string): void
}

export interface SessionBus {
  /** Sends to every other process; the caller applies the event locally itself. */
  publish(event: SessionEvent): void
  subscribe(handler: (event: SessionEvent) => void): void
  /** Adds a transport (Redis pub/sub); returns the function that delivers what it receives. */
  attach(transport: Transport): (message: string) => void
}

export const isBusMessage = (m: unknown): boolean => (m as Envelope | undefined)?.gatehouse === 'session-bus'

export function createSessionBus(): SessionBus {
  const origin = randomBytes(8).toString('base64url')
  const handlers: ((event: SessionEvent) => void)[] = []
  const transports: Transport[] = []
  const deliver = (m: unknown) => {
    if (!isBusMessage(m)) return
    const env = m as Envelope
    if (env.origin === origin || !env.event || typeof env.event !== 'object') return
    for (const h of handlers) h(env.event)
  }
  if (cluster.isWorker) process.on('message', deliver)
  return {
    publish(event) {
      const env: Envelope = { gatehouse: 'session-bus', origin, event }
      if (cluster.isWorker) process.send?.(env)
      if (transports.length) {
        const text = JSON.stringify(env)
        for (const t of transports) t.send(text)
      }
    },
    subscribe(handler) {
      handlers.push(handler)
    },
    attach(transport) {
      transports.push(transport)
      return (message) => {
        try {
          deliver(JSON.parse(message))
        } catch {
          // not ours
        }
      }
    },
  }
}
