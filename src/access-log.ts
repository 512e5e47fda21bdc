/**
 * `logging.accessLog`: one line per access decision (endpoint, result, credential method, rule, provider,
 * latency, request id), through the hook in metrics.decision, so every place that counts a decision logs it.
 * Never a credential; the user's email only with `logging.accessLogEmail`.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Logger } from 'pino'
import { resultLabel, type Outcome } from './access/decide.js'
import type { DecisionDetail, DecisionEndpoint, DecisionRecord, Metrics } from './metrics.js'

export function createAccessLog(logger: Logger, options: { email: boolean }): (record: DecisionRecord) => void {
  const log = logger.child({ log: 'access' })
  return (r) => {
    log.info(
      {
        endpoint: r.endpoint,
        result: r.result,
        method: r.method,
        rule: r.rule,
        provider: r.provider,
        latencyMs: Math.round(r.seconds * 1e6) / 1000,
        requestId: r.requestId,
        email: options.email ? r.email : undefined,
      },
      'decision',
    )
  }
}

/** A proxy's request id (nginx `$request_id`, Traefik/Caddy `X-Request-Id`) when it is a plain token. */
export function requestIdOf(headers: IncomingHttpHeaders): string | undefined {
  const id = headers['x-request-id']
  return typeof id === 'string' && /^[\w.:-]{1,128}$/.test(id) ? id : undefined
}

/**
 * What a decision's caller knows beyond the metric labels. `identity` is the judged user (allow or
 * forbidden); `rule` the matched rule's description (e.g. `rules[1] "grafana-writes"` or `default`).
 */
export function decisionDetail(
  headers: IncomingHttpHeaders,
  identity?: { provider?: string; email?: string },
  rule?: string,
): DecisionDetail {
  // An anonymous identity (a forbidden request without credentials) has provider ''.
  return { requestId: requestIdOf(headers), provider: identity?.provider || undefined, email: identity?.email, rule }
}

/**
 * Counts a reached decision; with the access log on, also its detail: the rule that decided (the
 * `X-Gatehouse-Rule` value, `default` when none), the identity's provider and email, the request id.
 * The one way the verify endpoints and upstream mode count an outcome.
 */
export function countDecision(metrics: Metrics, endpoint: DecisionEndpoint, outcome: Outcome, started: number, headers: IncomingHttpHeaders): void {
  const seconds = (performance.now() - started) / 1000
  // Checked first: with the log off, the hot path allocates nothing for it.
  if (!metrics.logsDecisions) return metrics.decision(endpoint, resultLabel(outcome), outcome.method, seconds)
  const identity = outcome.result === 'allow' || outcome.result === 'forbidden' ? outcome.identity : undefined
  metrics.decision(endpoint, resultLabel(outcome), outcome.method, seconds, decisionDetail(headers, identity, outcome.rule ?? 'default'))
}

/** Counts a decision that could not be reached; `requestId` is the one the answer carries. */
export function countFailure(metrics: Metrics, endpoint: DecisionEndpoint, started: number, requestId: string | undefined): void {
  metrics.decision(endpoint, 'error', 'none', (performance.now() - started) / 1000, metrics.logsDecisions ? { requestId } : undefined)
}
