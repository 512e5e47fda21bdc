/**
 * Start-up time and idle memory of `gatehouse serve`, run from the TypeScript sources through tsx or from the
 * compiled build (`npm run build` first):
 *   node --import tsx bench/startup.ts [tsx|dist] [runs]
 * Start-up = spawn until /ping answers; check-config = spawn until exit; RSS = VmRSS after 5 s idle.
 * Prints the median of `runs` (default 5) for each.
 */
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createServer, type AddressInfo } from 'node:net'

const mode = process.argv[2] ?? 'dist'
const runs = Number(process.argv[3] ?? 5)
const entry = mode === 'tsx' ? ['--import', 'tsx', 'src/cli.ts'] : ['dist/src/cli.js']

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function configFile(port: number): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'gh-startup-')), 'gatehouse.yaml')
  writeFileSync(
    file,
    [
      'server:',
      `  listen: "127.0.0.1:${port}"`,
      `  publicUrl: "http://127.0.0.1:${port}"`,
      'cookie:',
      `  secret: "${randomBytes(32).toString('base64url')}"`,
      'providers:',
      '  - { id: corp, type: oidc, issuer: "http://127.0.0.1:1/realms/x", clientId: a, clientSecret: b }',
      'authorization: { emailDomains: ["*"] }',
      'logging: { level: error }',
    ].join('\n'),
  )
  return file
}

async function serveOnce(): Promise<{ startMs: number; rssMb: number }> {
  const port = await freePort()
  const file = await configFile(port)
  const t0 = performance.now()
  const child = spawn(process.execPath, [...entry, 'serve', '--config', file], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } })
  try {
    for (;;) {
      if (performance.now() - t0 > 30_000) throw new Error('no /ping answer within 30 s')
      const ok = await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false)
      if (ok) break
      await sleep(10)
    }
    const startMs = performance.now() - t0
    await sleep(5000)
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
    return { startMs, rssMb }
  } finally {
    child.kill('SIGTERM')
  }
}

async function checkOnce(): Promise<number> {
  const file = await configFile(await freePort())
  const t0 = performance.now()
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, 'check-config', '--config', file], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } })
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`check-config exited ${code}`))))
  })
  return performance.now() - t0
}

const serves = []
const checks = []
for (let i = 0; i < runs; i++) {
  serves.push(await serveOnce())
  checks.push(await checkOnce())
}
console.log(
  `${mode}: serve start-up ${median(serves.map((s) => s.startMs)).toFixed(0)} ms, ` +
    `check-config ${median(checks).toFixed(0)} ms, idle RSS ${median(serves.map((s) => s.rssMb)).toFixed(1)} MB ` +
    `(median of ${runs}, node ${process.version})`,
)
