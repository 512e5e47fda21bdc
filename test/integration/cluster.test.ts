import { spawn } from 'node:child_process'
import { get } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { freePort, randomSecret } from '../helpers/stack.js'

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true
    await new Promise((r) => setTimeout(r, 150))
  }
  return false
}

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
logging: { level: warn }
`)
    const child = spawn('node', ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file], { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const up = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ping`)).status === 200, 20_000)
      expect(up).toBe(true)
      expect(stderr).toContain('started 2 worker(s)')
      const auth = await fetch(`http://127.0.0.1:${port}/oauth2/auth`)
      expect(auth.status).toBe(401)
    } finally {
      child.kill('SIGTERM')
    }
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))])
    expect(code).toBe(0)
  }, 45_000)
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
logging: { level: warn }
${metrics}
`
    for (const [metrics, scrapeUrl] of [
      ['', `http://127.0.0.1:${port}/metrics`],
      [`metrics: { listen: "127.0.0.1:${metricsPort}" }`, `http://127.0.0.1:${metricsPort}/metrics`],
    ] as const) {
      writeFileSync(file, config(metrics))
      const child = spawn('node', ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', file], { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr!.on('data', (d) => (stderr += d))
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      try {
        const up = await waitFor(async () => (await fetch(scrapeUrl)).status === 200, 30_000)
        expect({ up, stderr }).toEqual({ up: true, stderr: expect.stringContaining('started 2 worker(s)') })
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
        child.kill('SIGTERM')
      }
      expect(await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))])).toBe(0)
    }
  }, 120_000)
})
