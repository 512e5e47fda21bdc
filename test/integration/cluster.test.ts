import { spawn } from 'node:child_process'
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
