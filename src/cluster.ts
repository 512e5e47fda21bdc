/**
 * `server.workers`: one primary that only supervises, and N worker processes (node:cluster) that
 * each run the ordinary single-process serve path (`startGatehouse` + reloader) on the shared
 * listening socket. 1 = single process (this module is not used), 0 = one worker per CPU.
 *
 * Each worker has its own session/token cache and its own metrics registry: a cached session is
 * decrypted once per worker. A scrape reaches one worker, which answers with the sum over all
 * workers, collected through the primary (cluster-metrics.ts).
 * The primary forwards SIGHUP (reload) and SIGTERM/SIGINT (drain and exit, see src/http/drain.ts) to every worker, and
 * re-forks a worker that dies unexpectedly (at most once per second). A worker that dies before it
 * listens stops the whole cluster with exit code 1.
 */
import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import type { Config } from './config/load.js'
import { serveClusterMetrics } from './cluster-metrics.js'
import { isBusMessage } from './session/bus.js'
import { serveClusterLocks } from './session/cluster-lock.js'

/** True in the process that should fork workers instead of serving. */
export const wantsCluster = (config: Config): boolean => config.server.workers !== 1 && cluster.isPrimary

/**
 * Names the process so `pidof gatehouse` (and `kill -HUP "$(pidof gatehouse)"`) finds the one process to signal:
 * the single-process server or the cluster primary. Workers get another name, or a HUP would reach them twice.
 */
export function nameProcess(): void {
  process.title = cluster.isPrimary ? 'gatehouse' : 'gatehouse-worker'
}

export const workerCount = (config: Config): number =>
  config.server.workers === 0 ? availableParallelism() : config.server.workers

export interface ClusterOptions {
  /** How long to wait for workers to drain after SIGTERM before exiting anyway (default: delay + grace period + 2 s). */
  shutdownTimeoutMs?: number
  log?: (message: string) => void
}

/**
 * Forks the workers and supervises them. Returns -1 (keep running), like `serve`; the process
 * exits when the workers have drained after SIGTERM/SIGINT.
 */
export function runCluster(config: Config, options: ClusterOptions = {}): number {
  const n = workerCount(config)
  const log = options.log ?? ((m: string) => process.stderr.write(`gatehouse[primary ${process.pid}]: ${m}\n`))
  let stopping = false
  let lastRestart = 0

  serveClusterMetrics()
  serveClusterLocks()
  const listening = new WeakSet<Worker>()
  const fork = (): Worker => {
    const worker = cluster.fork()
    worker.once('listening', () => listening.add(worker))
    return worker
  }
  for (let i = 0; i < n; i++) fork()
  // Session events (revocations, refreshed sessions): relayed to every other worker (src/session/bus.ts).
  cluster.on('message', (from, message) => {
    if (!isBusMessage(message)) return
    for (const w of Object.values(cluster.workers ?? {})) if (w && w !== from && w.isConnected()) w.send(message)
  })
  log(`started ${n} worker(s) on ${config.server.host}:${config.server.port}`)

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit() // 0, or 1 after a start-up failure
      return
    }
    if (!listening.has(worker)) {
      // It died before listening (port taken, provider plugin failing to load, …): every
      // worker would, so stop like the single-process serve does on a start-up failure.
      log(`worker ${worker.process.pid} exited (${signal ?? code}) before listening; stopping`)
      stopping = true
      forward('SIGTERM')
      process.exitCode = 1
      setTimeout(() => process.exit(1), 2000).unref()
      return
    }
    log(`worker ${worker.process.pid} exited (${signal ?? code}); starting a new one`)
    const wait = Math.max(0, lastRestart + 1000 - Date.now())
    lastRestart = Date.now() + wait
    setTimeout(() => {
      if (!stopping) fork()
    }, wait)
  })

  const forward = (signal: NodeJS.Signals) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal)
  }
  process.on('SIGHUP', () => forward('SIGHUP'))
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    log(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} worker(s)`)
    forward('SIGTERM')
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
    setTimeout(() => {
      forward('SIGKILL')
      process.exit(0)
    }, options.shutdownTimeoutMs ?? config.server.shutdownDelayMs + config.server.shutdownGraceMs + 2000).unref()
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  return -1
}
