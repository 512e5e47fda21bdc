/** Session lifecycle and store metrics (part of `Metrics`, src/metrics.ts). Labels are fixed sets. */
import { Counter, Histogram, type Registry } from 'prom-client'

export type RefreshResult = 'success' | 'refused' | 'error'
export type RevocationSource = 'sign_out' | 'backchannel' | 'refresh_refused'
export type StoreOperation = 'read' | 'write' | 'delete' | 'lock'

export interface SessionMetrics {
  sessionRefresh(result: RefreshResult, seconds: number): void
  sessionRevocation(source: RevocationSource): void
  storeOperation(operation: StoreOperation, result: 'success' | 'error', seconds: number): void
}

export function createSessionMetrics(registry: Registry): SessionMetrics {
  const refreshes = new Counter({
    name: 'gatehouse_session_refresh_total',
    help: 'Session revalidations with the IdP by result (refused = the IdP ended the session).',
    labelNames: ['result'] as const,
    registers: [registry],
  })
  const refreshDuration = new Histogram({
    name: 'gatehouse_session_refresh_duration_seconds',
    help: 'Duration of session revalidations with the IdP.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const revocations = new Counter({
    name: 'gatehouse_session_revocations_total',
    help: 'Sessions revoked, by source.',
    labelNames: ['source'] as const,
    registers: [registry],
  })
  const storeOps = new Counter({
    name: 'gatehouse_session_store_operations_total',
    help: 'Session store (Redis) operations by result.',
    labelNames: ['operation', 'result'] as const,
    registers: [registry],
  })
  const storeDuration = new Histogram({
    name: 'gatehouse_session_store_duration_seconds',
    help: 'Session store (Redis) operation latency.',
    labelNames: ['operation'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
    registers: [registry],
  })
  return {
    sessionRefresh(result, seconds) {
      refreshes.labels(result).inc()
      refreshDuration.observe(seconds)
    },
    sessionRevocation(source) {
      revocations.labels(source).inc()
    },
    storeOperation(operation, result, seconds) {
      storeOps.labels(operation, result).inc()
      storeDuration.labels(operation).observe(seconds)
    },
  }
}
