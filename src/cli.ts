/**
 * `gatehouse serve|check-config|explain [--config FILE]`, `gatehouse migrate` (src/migrate/). Exit codes: 0 ok, 2 invalid config (every problem
 * listed on stderr), 64 bad command line, 1 other start-up failures. The grammar is in cli-args.ts.
 */
import { loadConfig } from './config/load.js'
import { ConfigError } from './errors.js'
import { createReloader } from './reload.js'
import { nameProcess, runCluster, wantsCluster } from './cluster.js'
import { EXIT_USAGE, packageVersion, parseCommandLine, UsageError, type Parsed } from './cli-args.js'

type Flags = Record<string, string | undefined>

const list = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean)

async function runExplain(config: Awaited<ReturnType<typeof loadConfig>>, flags: Flags): Promise<number> {
  if (!flags.url) {
    process.stderr.write("gatehouse explain: --url is required (see 'gatehouse explain --help')\n")
    return EXIT_USAGE
  }
  const signedIn = ['email', 'user-groups', 'user-roles', 'provider'].some((k) => flags[k] !== undefined)
  try {
    const { explain } = await import('./explain.js')
    const result = explain(config, {
      url: flags.url,
      method: flags.method,
      query: flags.query,
      user: signedIn
        ? { email: flags.email, groups: list(flags['user-groups']), roles: list(flags['user-roles']), provider: flags.provider }
        : undefined,
    })
    process.stdout.write(result.text)
    return 0
  } catch (err) {
    process.stderr.write(`gatehouse explain: ${(err as Error).message}\n`)
    return EXIT_USAGE
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed: Parsed
  try {
    parsed = parseCommandLine(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`gatehouse: ${err.message}\nRun 'gatehouse --help' for usage.\n`)
    return EXIT_USAGE
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text)
    return 0
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`gatehouse ${packageVersion()}\n`)
    return 0
  }
  const { command, flags } = parsed
  // Loaded only when asked for: serve and check-config start without the TOML parser and the readers.
  if (command === 'migrate') return (await import('./migrate/cli.js')).runMigrate(flags, parsed.rest)
  const file = flags.config ?? process.env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml'
  try {
    const config = await loadConfig(file)
    if (command === 'check-config') {
      process.stdout.write(`${file}: OK (${config.providers.length} provider(s))\n`)
      return 0
    }
    if (command === 'explain') return runExplain(config, flags)
    if (wantsCluster(config)) return runCluster(config)
    // Loaded here, not at import: a cluster primary and check-config never serve (test/unit/lazy-dependencies.test.ts).
    const { startGatehouse } = await import('./server.js')
    const gatehouse = await startGatehouse(config)
    const reloader = createReloader({
      file,
      load: loadConfig,
      apply: gatehouse.reload,
      current: () => gatehouse.runtime().config,
      logger: gatehouse.logger,
      metrics: gatehouse.metrics,
    })
    const unwatch = reloader.watch()
    process.on('SIGHUP', () => void reloader.reload('SIGHUP'))
    const stop = () => {
      unwatch()
      const { shutdownGraceMs: graceMs, shutdownDelayMs: delayMs } = gatehouse.runtime().config.server
      gatehouse.logger.info({ delayMs, gracePeriodMs: graceMs }, 'shutting down')
      gatehouse.close().then(() => {
        gatehouse.logger.info('stopped')
        process.exit(0)
      })
      // close() cuts connections when the grace period ends; this only guards against a hang
      setTimeout(() => process.exit(1), delayMs + graceMs + 5000).unref()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    return -1
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gatehouse: ${err.message}\n`)
      return 2
    }
    process.stderr.write(`gatehouse: ${(err as Error).message}\n`)
    return 1
  }
}

nameProcess()
const code = await main(process.argv.slice(2))
if (code >= 0) process.exit(code)
