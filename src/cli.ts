/**
 * `gatehouse serve|check-config|explain [--config FILE]`. Exit code 2 for an invalid config
 * (every problem listed on stderr), 1 for other start-up failures.
 */
import { loadConfig } from './config/load.js'
import { ConfigError } from './errors.js'
import { startGatehouse } from './server.js'
import { explain } from './explain.js'
import { createReloader } from './reload.js'
import { nameProcess, runCluster, wantsCluster } from './cluster.js'

const USAGE = `usage: gatehouse <command> [options]

commands:
  serve          start the server
  check-config   validate the configuration and exit
  explain        show which rule a request meets and the decision, e.g.
                 explain --url https://grafana.example.com/api/x --method POST --user-groups a,b --email x@y

options:
  --config FILE  configuration file (default: $GATEHOUSE_CONFIG or ./gatehouse.yaml)

explain options:
  --url URL            the original request URL (required)
  --method M           the original method (default GET)
  --email E            simulate a signed-in user with this verified email
  --user-groups a,b    ... with these groups (GitHub: org and org:team)
  --user-roles r,s     ... with these roles
  --provider ID        ... who logged in through this provider (default: the first one)
  --query Q            /oauth2/auth query constraints, e.g. allowed_groups=sre
  Without --email/--user-groups/--user-roles/--provider the request is anonymous.

serve reloads the configuration on SIGHUP and when the file changes.
`

export function parseArgs(argv: string[]): { command?: string; flags: Record<string, string> } {
  const [command, ...rest] = argv
  const flags: Record<string, string> = {}
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`)
    const eq = arg.indexOf('=')
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1)
    else {
      const value = rest[i + 1]
      if (value === undefined || value.startsWith('--')) flags[arg.slice(2)] = 'true'
      else {
        flags[arg.slice(2)] = value
        i++
      }
    }
  }
  return { command, flags }
}

const list = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean)

function runExplain(config: Awaited<ReturnType<typeof loadConfig>>, flags: Record<string, string>): number {
  if (!flags.url) {
    process.stderr.write(`explain needs --url\n${USAGE}`)
    return 64
  }
  const signedIn = ['email', 'user-groups', 'user-roles', 'provider'].some((k) => flags[k] !== undefined)
  try {
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
    return 64
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs(argv)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`)
    return 64
  }
  const { command, flags } = parsed
  const file = flags.config ?? process.env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml'
  if (command !== 'serve' && command !== 'check-config' && command !== 'explain') {
    process.stderr.write(USAGE)
    return command === undefined || command === 'help' || command === '--help' ? 0 : 64
  }
  try {
    const config = await loadConfig(file)
    if (command === 'check-config') {
      process.stdout.write(`${file}: OK (${config.providers.length} provider(s))\n`)
      return 0
    }
    if (command === 'explain') return runExplain(config, flags)
    if (wantsCluster(config)) return runCluster(config)
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
      const graceMs = gatehouse.runtime().config.server.shutdownGraceMs
      gatehouse.logger.info({ gracePeriodMs: graceMs }, 'shutting down')
      gatehouse.close().then(() => {
        gatehouse.logger.info('stopped')
        process.exit(0)
      })
      // close() cuts connections when the grace period ends; this only guards against a hang
      setTimeout(() => process.exit(1), graceMs + 5000).unref()
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
