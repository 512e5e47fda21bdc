/**
 * Process and load-generation helpers for bench/run.ts: children in their own process groups
 * (killed as a group on exit or failure, so cluster workers go too), RSS sampling from /proc, and
 * wrk runs that report through bench/wrk-report.lua.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream, readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const ROOT = dirname(BENCH_DIR)

const children = new Set<ChildProcess>()

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* gone */
    }
  }
}

/** Kills every child process group we started (synchronously: safe in 'exit'). */
export function killAll(signal: NodeJS.Signals = 'SIGKILL') {
  for (const c of children) killGroup(c, signal)
}
process.on('exit', () => killAll('SIGKILL'))
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAll('SIGKILL')
    process.stderr.write(`bench: ${sig}, stopped\n`)
    process.exit(130)
  })
}

export interface Service {
  name: string
  child: ChildProcess
  logFile: string
  /** SIGTERM the group, wait up to 5 s, then SIGKILL. */
  stop(): Promise<void>
}

let built = false

export type GatehouseEntry = 'dist' | 'tsx'

/** How bench tools run Gatehouse unless told otherwise: `BENCH_ENTRY=tsx` runs the sources. */
const defaultEntry = (): GatehouseEntry => (process.env.BENCH_ENTRY === 'tsx' ? 'tsx' : 'dist')

/**
 * The node arguments that run `gatehouse` the way operators do: the compiled build (`npm run build`, done once per
 * bench process), not the sources through tsx, whose loader thread and source maps held 50-80 MB more RSS and
 * twice the heap under load (cookie case, 2026-12-02). `entry: 'tsx'` runs the sources instead.
 */
export function gatehouseCli(args: string[], entry: GatehouseEntry = defaultEntry()): string[] {
  if (entry === 'tsx') return ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args]
  if (!built) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}`)
    built = true
  }
  return [join(ROOT, 'dist/src/cli.js'), ...args]
}

export function startService(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logDir: string; cwd?: string }): Service {
  const logFile = join(opts.logDir, `${name}.log`)
  const log = createWriteStream(logFile)
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  children.add(child)
  child.once('exit', () => children.delete(child))
  return {
    name,
    child,
    logFile,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const t = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
        child.once('exit', () => {
          clearTimeout(t)
          // cluster workers may outlive the primary by a moment
          setTimeout(() => {
            killGroup(child, 'SIGKILL')
            resolve()
          }, 200)
        })
        killGroup(child, 'SIGTERM')
      }),
  }
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

export async function waitForHttp(url: string, service: Service, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited (${service.child.exitCode}); see ${service.logFile}:\n${tail(service.logFile)}`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      return
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${service.name} did not answer ${url} within ${timeoutMs} ms; see ${service.logFile}:\n${tail(service.logFile)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/** Every pid in a process group (the service and, in cluster mode, its workers). */
export function groupPids(pgid: number): number[] {
  const pids: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === pgid) pids.push(Number(d))
    } catch {
      /* exited */
    }
  }
  return pids
}

export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100

/**
 * CPU seconds (user + system) a process group has used so far. Per request, the cost of a case that
 * holds on a shared machine, where wall-clock rates swing with everyone else's load.
 */
export function groupCpuSeconds(pgid: number): number {
  const { user, sys } = groupCpuTimes(pgid)
  return user + sys
}

/** CPU seconds a process group has used so far, user and kernel apart (bench/split.ts). */
export function groupCpuTimes(pgid: number): { user: number; sys: number } {
  let user = 0
  let sys = 0
  for (const p of groupPids(pgid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      user += Number(fields[11]) // utime, stime: fields 14 and 15 of proc(5)
      sys += Number(fields[12])
    } catch {
      /* exited */
    }
  }
  return { user: user / CLK_TCK, sys: sys / CLK_TCK }
}

/** Samples the summed RSS of a process group every 200 ms; stop() returns the peak in kB. */
export function sampleRss(pgid: number) {
  let pids = groupPids(pgid)
  let peak = 0
  const sample = () => {
    let sum = 0
    for (const p of pids) sum += statusKb(p, 'VmRSS')
    if (sum > peak) peak = sum
  }
  sample()
  const t = setInterval(sample, 200)
  const refresh = setInterval(() => (pids = groupPids(pgid)), 2000)
  return {
    stop(): number {
      clearInterval(t)
      clearInterval(refresh)
      sample()
      return peak
    },
  }
}

export interface WrkResult {
  requests: number
  rps: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
  /** socket errors: connect, read, write, timeout */
  socketErrors: number
  /** responses with status > 399 (wrk's count) */
  statusErrors: number
}

export interface WrkOptions {
  url: string
  headers: Record<string, string>
  connections: number
  threads?: number
  seconds: number
  tokensFile?: string
  /** index in the token pool to start from */
  tokenOffset?: number
  delayMs?: number
}

export function checkWrk(): string {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' })
  if (r.error) throw new Error('wrk not found on PATH: install it (Debian: apt-get install wrk)')
  return (r.stdout + r.stderr).split('\n')[0]!.trim()
}

export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [`-t${o.threads ?? 1}`, `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '2s', '-s', join(BENCH_DIR, 'wrk-report.lua')]
  for (const [k, v] of Object.entries(o.headers)) args.push('-H', `${k}: ${v}`)
  args.push(o.url)
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, {
      env: { ...process.env, BENCH_TOKENS: o.tokensFile ?? '', BENCH_TOKEN_OFFSET: String(o.tokenOffset ?? 0), BENCH_DELAY_MS: o.delayMs !== undefined ? String(o.delayMs) : '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.add(child)
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const guard = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 30) * 1000)
    child.once('exit', (code) => {
      clearTimeout(guard)
      children.delete(child)
      const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '))
      if (!line) return reject(new Error(`wrk failed (exit ${code}):\n${out}`))
      const j = JSON.parse(line.slice('BENCHJSON '.length))
      resolve({
        requests: j.requests,
        rps: j.requests / (j.duration_us / 1e6),
        p50: j.p50,
        p90: j.p90,
        p99: j.p99,
        p999: j.p999,
        max: j.max,
        mean: j.mean,
        socketErrors: j.connect + j.read + j.write + j.timeout,
        statusErrors: j.status,
      })
    })
  })
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
