import { get } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { freePort, randomSecret } from '../helpers/stack.js'
import { startServe } from '../helpers/serve-process.js'

describe('server.workers (cluster mode)', () => {
  it('serves from N workers, and drains and exits 0 on SIGTERM', async () => {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'))
    const file = join(dir, 'gatehouse.yaml')
    writeFileSync(file, `
server: { listen: "127.0.0.1:${port}", publicUrl: "http://127.0.0.1:${port}", workers: 2 }
cookie: { secret: "${randomSecret()}" }
providers: [{ id: corp, type: keycloak, issuer: "http://127.0.0.1:9/realms/x", clientId: c, clientSecret: s, allowInsecureRequests: true }]
authorization: {}
logging: { level: info }
`)
    // Ready when both workers log that they listen (not when the first answers a poll).
    const serve = await startServe(file, { listeners: 2 })
    try {
      expect(serve.stderr()).toContain('started 2 worker(s)')
      expect((await fetch(`http://127.0.0.1:${port}/ping`)).status).toBe(200)
      const auth = await fetch(`http://127.0.0.1:${port}/oauth2/auth`)
      expect(auth.status).toBe(401)
    } finally {
      expect(await serve.stop()).toBe(0)
    }
  }, 240_000)
})

/** Sum of a counter's samples in Prometheus text, optionally only those with a label value. */
function counterSum(text: string, name: string, label?: string): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    if (label && !line.includes(label)) continue
    sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

/** One request on its own connection, so the cluster's round-robin spreads them over the workers. */
const fresh = (url: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    }).on('error', reject)
  })

describe('metrics in cluster mode', () => {
  it('every scrape shows the decisions of all workers, on the main port and on the metrics listener', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()]
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-metrics-'))
    const file = join(dir, 'gatehouse.yaml')
    const config = (metrics: string) => `
server: { listen: "127.0.0.1:${port}", publicUrl: "http://127.0.0.1:${port}", workers: 2 }
cookie: { secret: "${randomSecret()}" }
providers: [{ id: corp, type: keycloak, issuer: "http://127.0.0.1:9/realms/x", clientId: c, clientSecret: s, allowInsecureRequests: true }]
authorization: {}
logging: { level: info }
${metrics}
`
    for (const [metrics, scrapeUrl] of [
      ['', `http://127.0.0.1:${port}/metrics`],
      [`metrics: { listen: "127.0.0.1:${metricsPort}" }`, `http://127.0.0.1:${metricsPort}/metrics`],
    ] as const) {
      writeFileSync(file, config(metrics))
      const serve = await startServe(file, { listeners: 2 })
      try {
        expect(serve.stderr()).toContain('started 2 worker(s)')
        const N = 41
        for (let i = 0; i < N; i++) expect((await fresh(`http://127.0.0.1:${port}/oauth2/auth`)).status).toBe(401)
        // Several scrapes, each on a new connection (so on either worker): each sees all N.
        for (let i = 0; i < 4; i++) {
          const { status, body } = await fresh(scrapeUrl)
          expect(status).toBe(200)
          expect(counterSum(body, 'gatehouse_decisions_total', 'result="unauthenticated"')).toBe(N)
          expect(counterSum(body, 'gatehouse_decision_duration_seconds_count')).toBe(N)
          expect(body.match(/^# TYPE gatehouse_decisions_total /gm)).toHaveLength(1)
        }
      } finally {
        expect(await serve.stop()).toBe(0)
      }
    }
  }, 480_000)
})
