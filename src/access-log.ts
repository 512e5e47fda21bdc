/**
 * `logging.accessLog`: one line per access decision (endpoint, result, credential method, rule, provider,
 * latency, request id), through the hook in metrics.decision, so every place that counts a decision logs it.
 * Never a credential; the user's email only with `logging.accessLogEmail`.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Logger } from 'pino'
import type { DecisionDetail, DecisionRecord } from './metrics.js'

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
  return { requestId: requestIdOf(headers), provider: identity?.provider, email: identity?.email, rule }
}
