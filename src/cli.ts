/**
 * `gatehouse serve|check-config [--config FILE]`. Exit code 2 for an invalid config (every
 * problem listed on stderr), 1 for other start-up failures.
 */
import { loadConfig } from './config/load.js'
import { ConfigError } from './errors.js'
import { startGatehouse } from './server.js'

const USAGE = `usage: gatehouse <command> [options]

commands:
  serve          start the server
  check-config   validate the configuration and exit

options:
  --config FILE  configuration file (default: $GATEHOUSE_CONFIG or ./gatehouse.yaml)
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
  if (command !== 'serve' && command !== 'check-config') {
    process.stderr.write(USAGE)
    return command === undefined || command === 'help' || command === '--help' ? 0 : 64
  }
  try {
    const config = await loadConfig(file)
    if (command === 'check-config') {
      process.stdout.write(`${file}: OK (${config.providers.length} provider(s))\n`)
      return 0
    }
    const gatehouse = await startGatehouse(config)
    const stop = () => {
      gatehouse.logger.info('shutting down')
      gatehouse.close().then(() => process.exit(0))
      setTimeout(() => process.exit(0), 10_000).unref()
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

const code = await main(process.argv.slice(2))
if (code >= 0) process.exit(code)
