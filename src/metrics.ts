/**
 * Every Prometheus metric Gatehouse exports, in one place. Labels are bounded: endpoint names,
 * results, provider ids from config, cache names. Never paths, hosts, users or tokens.
 */
import cluster from 'node:cluster'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { clusterWorkerMetrics } from './cluster-metrics.js'
import { createSessionMetrics, type SessionMetrics } from './metrics-sessions.js'

export type DecisionEndpoint = 'auth' | 'forward_auth' | 'upstream'
export type DecisionResult = 'allow' | 'unauthenticated' | 'forbidden' | 'invalid_token' | 'refused' | 'error'
export type DecisionMethod = 'cookie' | 'bearer' | 'anonymous' | 'none'
export type CacheEvent = 'hit' | 'miss' | 'evict' | 'coalesced' | 'negative_hit'

/** What a caller may add to a decision for the access log; ignored unless one is attached. */
export interface DecisionDetail {
  rule?: string
  provider?: string
  requestId?: string
  email?: string
}

export interface DecisionRecord extends DecisionDetail {
  endpoint: DecisionEndpoint
  result: DecisionResult
  method: DecisionMethod
  seconds: number
}

export interface Metrics extends SessionMetrics {
  readonly registry: Registry
  /** The text a scrape gets: this process's registry, or in a cluster worker the sum over all workers. */
  render(): Promise<string>
  readonly contentType: string
  /**
   * Counts a decision. `detail` goes to the access log (src/access-log.ts); build it only when
   * `logsDecisions` is true, so the hot path allocates nothing for a log that is off.
   */
  decision(endpoint: DecisionEndpoint, result: DecisionResult, method: DecisionMethod, seconds: number, detail?: DecisionDetail): void
  /** True when a decision listener (the access log) is attached. */
  readonly logsDecisions: boolean
  /** Attaches the one decision listener (the access log). */
  onDecision(listener: (record: DecisionRecord) => void): void
  cacheEvent(cache: string, event: CacheEvent): void
  cacheEntries(cache: string, entries: () => number): void
  idpRequest(provider: string, operation: string, result: string, seconds: number): void
  login(provider: string, result: string): void
  jwksRefresh(provider: string, result: string): void
  configReload(result: 'success' | 'failure'): void
}

/** Buckets tuned for a sub-millisecond hot path with a long tail to IdP calls. */
const DECISION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1]
const IDP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/**
 * prom-client's defaults include three gauges named `*_total` (active handles, requests and resources),
 * which `promtool check metrics` rejects: `_total` is for counters. Each has a by-`type` gauge with
 * the same numbers (`sum(nodejs_active_handles)`), so the `_total` copies are dropped.
 */
const NON_COUNTER_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry })
    for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(name)
  }

  const decisions = new Counter({
    name: 'gatehouse_decisions_total',
    help: 'Access decisions by endpoint, result and credential method.',
    labelNames: ['endpoint', 'result', 'method'] as const,
    registers: [registry],
    collect: () => flushDecisions(),
  })
  const decisionDuration = new Histogram({
    name: 'gatehouse_decision_duration_seconds',
    help: 'Time to reach an access decision.',
    labelNames: ['endpoint'] as const,
    buckets: DECISION_BUCKETS,
    registers: [registry],
  })
  const cacheEvents = new Counter({
    name: 'gatehouse_token_cache_events_total',
    help: 'Verified-token and session cache events.',
    labelNames: ['cache', 'event'] as const,
    registers: [registry],
  })
  const cacheSizes = new Map<string, () => number>()
  new Gauge({
    name: 'gatehouse_token_cache_entries',
    help: 'Entries currently held in each cache.',
    labelNames: ['cache'] as const,
    registers: [registry],
    collect() {
      for (const [cache, size] of cacheSizes) this.set({ cache }, size())
    },
  })
  const idpRequests = new Counter({
    name: 'gatehouse_idp_requests_total',
    help: 'Requests to identity providers by operation and result.',
    labelNames: ['provider', 'operation', 'result'] as const,
    registers: [registry],
  })
  const idpDuration = new Histogram({
    name: 'gatehouse_idp_request_duration_seconds',
    help: 'Duration of requests to identity providers.',
    labelNames: ['provider', 'operation'] as const,
    buckets: IDP_BUCKETS,
    registers: [registry],
  })
  const logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Completed login attempts by provider and result.',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  })
  const jwksRefresh = new Counter({
    name: 'gatehouse_jwks_refresh_total',
    help: 'JWKS fetches by provider and result.',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  })
  const reloads = new Counter({
    name: 'gatehouse_config_reloads_total',
    help: 'Configuration reloads by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  })

  // Decisions are counted in plain numbers, found without building a key, and handed to prom-client
  // (which hashes the labels on every inc) when it collects; the duration histogram per endpoint.
  type Tally = { labels: { endpoint: DecisionEndpoint; result: DecisionResult; method: DecisionMethod }; pending: number }
  const tallies: Partial<Record<DecisionEndpoint, Partial<Record<DecisionResult, Partial<Record<DecisionMethod, Tally>>>>>> = {}
  const allTallies: Tally[] = []
  const flushDecisions = () => {
    for (const t of allTallies) {
      if (t.pending === 0) continue
      decisions.inc(t.labels, t.pending)
      t.pending = 0
    }
  }
  const boundDurations: Partial<Record<DecisionEndpoint, Histogram<string>>> = {}
  const boundCache = new Map<string, Counter<string>>()

  let listener: ((record: DecisionRecord) => void) | undefined

  return {
    registry,
    ...createSessionMetrics(registry),
    get logsDecisions() {
      return listener !== undefined
    },
    onDecision(fn) {
      listener = fn
    },
    render: cluster.isWorker ? clusterWorkerMetrics(registry) : () => registry.metrics(),
    contentType: registry.contentType,
    decision(endpoint, result, method, seconds, detail) {
      const byResult = (tallies[endpoint] ??= {})
      const byMethod = (byResult[result] ??= {})
      let tally = byMethod[method]
      if (tally === undefined) {
        byMethod[method] = tally = { labels: { endpoint, result, method }, pending: 0 }
        allTallies.push(tally)
      }
      tally.pending++
      ;(boundDurations[endpoint] ??= decisionDuration.labels(endpoint) as unknown as Histogram<string>).observe(seconds)
      if (listener) listener({ endpoint, result, method, seconds, ...detail })
    },
    cacheEvent(cache, event) {
      const key = cache + event
      let bound = boundCache.get(key)
      if (!bound) {
        bound = cacheEvents.labels(cache, event) as unknown as Counter<string>
        boundCache.set(key, bound)
      }
      bound.inc()
    },
    cacheEntries(cache, entries) {
      cacheSizes.set(cache, entries)
    },
    idpRequest(provider, operation, result, seconds) {
      idpRequests.labels(provider, operation, result).inc()
      idpDuration.labels(provider, operation).observe(seconds)
    },
    login(provider, result) {
      logins.labels(provider, result).inc()
    },
    jwksRefresh(provider, result) {
      jwksRefresh.labels(provider, result).inc()
    },
    configReload(result) {
      reloads.labels(result).inc()
    },
  }
}
