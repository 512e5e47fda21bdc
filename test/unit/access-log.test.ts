import { describe, expect, it } from '@jest/globals'
import type { Outcome } from '../../src/access/decide.js'
import { countDecision, countFailure, createAccessLog, decisionDetail, requestIdOf } from '../../src/access-log.js'
import { createLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import fc from 'fast-check'
import { assertProperty } from '../helpers/property.js'

function setup(email: boolean) {
  const lines: Record<string, unknown>[] = []
  const logger = createLogger('info', { destination: { write: (l: string) => lines.push(JSON.parse(l)) } })
  const metrics = createMetrics({ defaultMetrics: false })
  expect(metrics.logsDecisions).toBe(false)
  metrics.onDecision(createAccessLog(logger, { email }))
  expect(metrics.logsDecisions).toBe(true)
  return { lines, metrics }
}

describe('access log (logging.accessLog)', () => {
  it('writes one line per counted decision with endpoint, result, method, rule, provider, latency, request id', () => {
    const { lines, metrics } = setup(false)
    const headers = { 'x-request-id': 'abc-123', authorization: 'Bearer secret-token', cookie: '_gatehouse=sealed' }
    metrics.decision('auth', 'allow', 'cookie', 0.000412, decisionDetail(headers, { provider: 'corp', email: 'a@example.com' }, 'rules[1] "grafana"'))
    metrics.decision('forward_auth', 'unauthenticated', 'none', 0.001)
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', log: 'access', msg: 'decision', endpoint: 'auth', result: 'allow', method: 'cookie', rule: 'rules[1] "grafana"', provider: 'corp', latencyMs: 0.412, requestId: 'abc-123' }),
      expect.objectContaining({ endpoint: 'forward_auth', result: 'unauthenticated', method: 'none', latencyMs: 1 }),
    ])
    expect(JSON.stringify(lines)).not.toMatch(/secret-token|sealed|a@example\.com/)
  })

  it('puts the email in only with logging.accessLogEmail', () => {
    const { lines, metrics } = setup(true)
    metrics.decision('upstream', 'forbidden', 'bearer', 0.002, decisionDetail({}, { provider: 'gh', email: 'a@example.com' }))
    expect(lines[0]).toMatchObject({ email: 'a@example.com', provider: 'gh' })
  })

  it('takes a request id only when it is a plain bounded token (generated ids)', () => {
    const parts = ['a', 'Z', '9', '-', '.', ':', '_', ' ', '\n', '"', '{', '/', 'é']
    assertProperty(
      fc.property(fc.array(fc.constantFrom(...parts), { maxLength: 139 }).map((a) => a.join('')), (id) => {
        const plain = /^[\w.:-]{1,128}$/.test(id)
        expect({ id, taken: requestIdOf({ 'x-request-id': id }) }).toEqual({ id, taken: plain ? id : undefined })
      }),
      300,
    )
    expect(requestIdOf({ 'x-request-id': ['a', 'b'] as never })).toBeUndefined()
  })

  it('countDecision: the rule (default when none), the provider of a known identity only, the request id', () => {
    const { lines, metrics } = setup(false)
    const identity = { subject: 's', user: 'u', groups: [], roles: [], provider: 'corp', email: 'a@example.com', expiresAt: 0 }
    const allow: Outcome = { result: 'allow', method: 'cookie', identity, headers: [], rule: 'grafana' }
    const anonymous: Outcome = { result: 'forbidden', method: 'none', identity: { ...identity, provider: '' }, original: {} as never, rule: '#1' }
    const refused: Outcome = { result: 'refused', method: 'none', code: 'bad-url' }
    countDecision(metrics, 'auth', allow, performance.now(), { 'x-request-id': 'r1' })
    countDecision(metrics, 'upstream', anonymous, performance.now(), {})
    countDecision(metrics, 'forward_auth', refused, performance.now(), {})
    countFailure(metrics, 'auth', performance.now(), 'generated-id')
    expect(lines).toEqual([
      expect.objectContaining({ endpoint: 'auth', result: 'allow', rule: 'grafana', provider: 'corp', requestId: 'r1' }),
      expect.objectContaining({ endpoint: 'upstream', result: 'forbidden', rule: '#1' }),
      expect.objectContaining({ endpoint: 'forward_auth', result: 'refused', rule: 'default' }),
      expect.objectContaining({ endpoint: 'auth', result: 'error', method: 'none', requestId: 'generated-id' }),
    ])
    expect(lines[1]).not.toHaveProperty('provider')
    expect(lines.map((l) => l.email)).toEqual([undefined, undefined, undefined, undefined])
  })

  it('with the log off, countDecision reads nothing of the request (no detail is built)', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const headers = new Proxy(
      {},
      {
        get: () => {
          throw new Error('headers read with the log off')
        },
      },
    )
    const allow: Outcome = { result: 'allow', method: 'bearer', identity: { subject: 's', user: 'u', groups: [], roles: [], provider: 'p', expiresAt: 0 }, headers: [] }
    countDecision(metrics, 'auth', allow, performance.now(), headers)
    countFailure(metrics, 'auth', performance.now(), undefined)
    expect(await metrics.registry.getSingleMetricAsString('gatehouse_decisions_total')).toMatch(/endpoint="auth",result="allow",method="bearer"} 1/)
  })
})
