import { describe, expect, it } from '@jest/globals'
import { createAccessLog, decisionDetail, requestIdOf } from '../../src/access-log.js'
import { createLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { seeded, seeds } from '../helpers/seeded.js'

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

  it.each(seeds(5, 'request ids'))('takes a request id only when it is a plain bounded token (seed %d)', (seed) => {
    const random = seeded(seed)
    const parts = ['a', 'Z', '9', '-', '.', ':', '_', ' ', '\n', '"', '{', '/', 'é']
    for (let n = 0; n < 300; n++) {
      const id = Array.from({ length: random.int(140) }, () => random.pick(parts)).join('')
      const plain = /^[\w.:-]{1,128}$/.test(id)
      expect({ id, taken: requestIdOf({ 'x-request-id': id }) }).toEqual({ id, taken: plain ? id : undefined })
    }
    expect(requestIdOf({ 'x-request-id': ['a', 'b'] as never })).toBeUndefined()
  })
})
