/**
 * Live reload: re-read and re-validate the whole config file, then swap it in one assignment.
 * An invalid file is rejected with every problem logged and the running config keeps serving.
 * Triggered by SIGHUP (cli.ts) and by changes to the file, watched through its folder so
 * editors' rename-on-save and Kubernetes ConfigMap symlink swaps are seen too.
 *
 * A file rewritten in place (truncate, then write) can be read half-written: the watcher waits for a
 * quiet period (debounce), and a watcher-triggered load that fails is retried once after `retryMs`
 * before it counts as a failure, since a truncated YAML file can fail to parse or to validate. The
 * digest of the file that was last loaded is kept, so the events of a write that was already read
 * in full do not reload it again.
 */
import { createHash } from 'node:crypto'
import { watch, type FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { Logger } from 'pino'
import type { Config } from './config/load.js'
import { ConfigError } from './errors.js'
import type { Metrics } from './metrics.js'

export interface ReloaderOptions {
  file: string
  load: (file: string) => Promise<Config>
  apply: (config: Config) => void
  current: () => Config
  logger: Logger
  metrics: Metrics
  /** Quiet period after the last file event before reloading. */
  debounceMs?: number
  /** Wait before the one retry of a watcher-triggered load that failed (a write may still be going on). */
  retryMs?: number
}

export interface Reloader {
  /** Resolves true when the new config is serving. Concurrent calls are queued, never interleaved. */
  reload(reason: string): Promise<boolean>
  /** Starts watching the file; returns a stop function. */
  watch(): () => void
}

/** Settings bound at start-up: a reload cannot move listeners or resize shared caches. */
function restartOnly(before: Config, after: Config): string[] {
  const changed: string[] = []
  if (before.server.host !== after.server.host || before.server.port !== after.server.port) changed.push('server.listen')
  if (before.server.workers !== after.server.workers) changed.push('server.workers')
  if (JSON.stringify(before.metrics) !== JSON.stringify(after.metrics)) changed.push('metrics.listen')
  if (before.metricsOnMainListener !== after.metricsOnMainListener) changed.push('metrics.onMainListener')
  for (const key of ['keepAliveTimeoutMs', 'headersTimeoutMs', 'requestTimeoutMs', 'maxConnections'] as const) {
    if (before.server[key] !== after.server[key]) changed.push(`server.${key.replace(/Ms$/, '')}`)
  }
  if (JSON.stringify(before.cache) !== JSON.stringify(after.cache)) changed.push('cache')
  for (const key of ['level', 'format', 'accessLog', 'accessLogEmail'] as const) {
    if (before.logging[key] !== after.logging[key]) changed.push(`logging.${key}`)
  }
  return changed
}

export function createReloader(options: ReloaderOptions): Reloader {
  const { file, load, apply, current, logger, metrics, debounceMs = 200, retryMs = 250 } = options
  let running: Promise<boolean> | undefined
  let queued: Promise<boolean> | undefined
  /** The queued reload compares digests only if every caller sharing it was the watcher. */
  let queuedFromWatcher = true
  let lastDigest: string | undefined

  const digest = async () => {
    try {
      return createHash('sha256').update(await readFile(file)).digest('hex')
    } catch {
      return undefined
    }
  }
  void digest().then((d) => (lastDigest ??= d))

  // The digest is taken before the read: if the file changes in between, its event reloads it again.
  // A file that failed to load is not retried until it changes either.
  let attempted: string | undefined
  const attempt = async (): Promise<Config> => {
    attempted = await digest()
    return load(file)
  }

  const run = async (reason: string, fromWatcher: boolean): Promise<boolean> => {
    const before = current()
    try {
      if (fromWatcher && (await digest()) === lastDigest) return true
      let next: Config
      try {
        next = await attempt()
      } catch (err) {
        if (!fromWatcher) throw err
        logger.debug({ reason, file }, 'configuration file did not load; reading it once more in case a write was still going on')
        await new Promise((r) => setTimeout(r, retryMs))
        next = await attempt()
      }
      lastDigest = attempted
      apply(next)
      metrics.configReload('success')
      const ignored = restartOnly(before, next)
      logger.info({ reason, file, rules: next.rules.list.length }, 'configuration reloaded')
      if (ignored.length > 0) logger.warn({ settings: ignored }, 'changed settings take effect only after a restart')
      return true
    } catch (err) {
      lastDigest = attempted
      metrics.configReload('failure')
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message]
      logger.error({ reason, file, problems }, `configuration reload rejected, the previous configuration keeps serving:\n  - ${problems.join('\n  - ')}`)
      return false
    }
  }

  const reload = (reason: string, fromWatcher = false): Promise<boolean> => {
    if (!running) {
      running = run(reason, fromWatcher).finally(() => (running = undefined))
      return running
    }
    // One reload waits behind the running one; later requests share it (it reads the newest file).
    queuedFromWatcher &&= fromWatcher
    queued ??= running.then(() => {
      const watcherOnly = queuedFromWatcher
      queued = undefined
      queuedFromWatcher = true
      return reload(reason, watcherOnly)
    })
    return queued
  }

  return {
    reload: (reason) => reload(reason),
    watch() {
      const name = basename(file)
      let timer: NodeJS.Timeout | undefined
      const fire = () => {
        timer = undefined
        // Editors and ConfigMaps emit several events per save, and touching a file is no change:
        // run() compares the digest when its turn comes, after any reload already under way.
        void reload('file changed', true)
      }
      let watcher: FSWatcher
      try {
        watcher = watch(dirname(file), (_event, changed) => {
          if (changed && changed !== name && changed !== '..data') return
          if (timer) clearTimeout(timer)
          timer = setTimeout(fire, debounceMs)
        })
      } catch (err) {
        logger.warn({ file, err: { message: (err as Error).message } }, 'cannot watch the configuration file; reload with SIGHUP')
        return () => {}
      }
      watcher.on('error', (err) => logger.warn({ file, err: { message: err.message } }, 'configuration watch failed; reload with SIGHUP'))
      return () => {
        if (timer) clearTimeout(timer)
        watcher.close()
      }
    },
  }
}
