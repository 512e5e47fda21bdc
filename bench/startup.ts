/**
 * Start-up time and idle memory of `gatehouse serve`, run from the TypeScript sources through tsx or from the
 * compiled build (`npm run build` first):
 *   node --import tsx bench/startup.ts [tsx|dist] [runs] [idle seconds]
 * Start-up = spawn until /ping answers; check-config = spawn until exit; RSS = VmRSS after 5 s idle (or the
 * seconds given: V8 gives back start-up garbage only after tens of seconds without work),
 * split into anonymous memory and mapped files (the node binary itself: a bare node:http server is
 * ~43 MB, 36 MB of it file-backed) and, from inside the process, V8's heap used/total and external.
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
const idleS = Number(process.argv[4] ?? 5)
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
      '  - { id: corp, type: oidc, issuer: "http://127.0.0.1:1/realms/x", clientId: a, clientSecret: b, allowInsecureRequests: true }',
      'authorization: { emailDomains: ["*"] }',
      'logging: { level: error }',
    ].join('\n'),
  )
  return file
}

// Answers SIGUSR2 with process.memoryUsage() on stderr: V8's own view next to the kernel's.
const REPORTER = `data:text/javascript,${encodeURIComponent(
  "process.on('SIGUSR2', () => process.stderr.write('MEMORY ' + JSON.stringify(process.memoryUsage()) + '\\n'))",
)}`
const MB = 1024 * 1024

interface Idle {
  startMs: number
  rssMb: number
  anonMb: number
  fileMb: number
  heapUsedMb: number
  heapTotalMb: number
  externalMb: number
}

async function serveOnce(): Promise<Idle> {
  const port = await freePort()
  const file = await configFile(port)
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', REPORTER, ...entry, 'serve', '--config', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  try {
    for (;;) {
      if (performance.now() - t0 > 30_000) throw new Error('no /ping answer within 30 s')
      const ok = await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false)
      if (ok) break
      await sleep(10)
    }
    const startMs = performance.now() - t0
    await sleep(idleS * 1000)
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024
    child.kill('SIGUSR2')
    for (let i = 0; i < 100 && !stderr.includes('MEMORY '); i++) await sleep(10)
    const m = JSON.parse(/MEMORY (.*)/.exec(stderr)![1]!) as NodeJS.MemoryUsage
    return {
      startMs,
      rssMb: kb('VmRSS'),
      anonMb: kb('RssAnon'),
      fileMb: kb('RssFile'),
      heapUsedMb: m.heapUsed / MB,
      heapTotalMb: m.heapTotal / MB,
      externalMb: m.external / MB,
    }
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

const serves: Idle[] = []
const checks: number[] = []
const med = (k: keyof Idle) => median(serves.map((s) => s[k])).toFixed(1)
for (let i = 0; i < runs; i++) {
  serves.push(await serveOnce())
  checks.push(await checkOnce())
}
console.log(
  `${mode}: serve start-up ${median(serves.map((s) => s.startMs)).toFixed(0)} ms, ` +
    `check-config ${median(checks).toFixed(0)} ms, RSS after ${idleS} s idle ${med('rssMb')} MB ` +
    `(anonymous ${med('anonMb')}, files ${med('fileMb')}; V8 heap used ${med('heapUsedMb')} of ${med('heapTotalMb')}, external ${med('externalMb')}) ` +
    `(median of ${runs}, node ${process.version})`,
)
