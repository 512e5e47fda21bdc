/**
 * The command line's grammar: commands, their options and help texts, parsed strictly with node:util's
 * parseArgs. A misspelt flag is an error (exit 64), never silently ignored: `serve --confg x` must not
 * start on ./gatehouse.yaml, and `explain --user-group sre` must not simulate an anonymous user.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, type ParseArgsConfig } from 'node:util'

export const EXIT_USAGE = 64

type Options = NonNullable<ParseArgsConfig['options']>

const CONFIG_HELP = '  --config FILE        configuration file (default: $GATEHOUSE_CONFIG or ./gatehouse.yaml)'
const common: Options = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }

interface Command {
  summary: string
  options: Options
  help: string
  /** Takes arguments after `--` (migrate: oauth2-proxy's own flags). */
  passThrough?: boolean
}

export const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'start the server',
    options: common,
    help: `usage: gatehouse serve [--config FILE]

Starts Gatehouse. Reloads the configuration on SIGHUP and when the file changes;
drains and exits on SIGTERM/SIGINT.

options:
${CONFIG_HELP}
  -h, --help           show this help
`,
  },
  'check-config': {
    summary: 'validate the configuration and exit',
    options: common,
    help: `usage: gatehouse check-config [--config FILE]

Validates the configuration offline, as serve would, and lists every problem with its key path.
Exit codes: 0 valid, 2 invalid, 64 bad command line.

options:
${CONFIG_HELP}
  -h, --help           show this help
`,
  },
  explain: {
    summary: 'show which rule a request meets and the decision',
    options: {
      ...common,
      url: { type: 'string' },
      method: { type: 'string' },
      email: { type: 'string' },
      'user-groups': { type: 'string' },
      'user-roles': { type: 'string' },
      provider: { type: 'string' },
      query: { type: 'string' },
    },
    help: `usage: gatehouse explain --url URL [options]

Shows which rule a request meets and what Gatehouse would answer, e.g.
  gatehouse explain --url https://grafana.example.com/api/x --method POST --user-groups a,b --email x@y

options:
${CONFIG_HELP}
  --url URL            the original request URL (required)
  --method M           the original method (default GET)
  --email E            simulate a signed-in user with this verified email
  --user-groups a,b    ... with these groups (GitHub: org and org:team)
  --user-roles r,s     ... with these roles
  --provider ID        ... who logged in through this provider (default: the first one)
  --query Q            /oauth2/auth query constraints, e.g. allowed_groups=sre
  -h, --help           show this help
Without --email/--user-groups/--user-roles/--provider the request is anonymous.
`,
  },
  migrate: {
    summary: 'translate an oauth2-proxy configuration into gatehouse.yaml and a report',
    passThrough: true,
    options: {
      help: common.help!,
      cfg: { type: 'string' },
      'alpha-config': { type: 'string' },
      'env-file': { type: 'string' },
      'from-env': { type: 'boolean' },
      compose: { type: 'string' },
      'helm-values': { type: 'string' },
      out: { type: 'string' },
      report: { type: 'string' },
    },
    help: `usage: gatehouse migrate [inputs] [--out FILE] [--report FILE] [-- <oauth2-proxy flags...>]

Reads an oauth2-proxy configuration and writes an equivalent Gatehouse config and a report with
one line per option (mapped, mapped with a difference, not needed, not supported). Secrets are
never written: they become \${NAME} references to set in the environment. Inputs combine with
oauth2-proxy's precedence: flags, then environment, then the config file.
  gatehouse migrate --cfg oauth2-proxy.cfg --out gatehouse.yaml --report migrate.md
  gatehouse migrate --helm-values values.yaml -- --skip-jwt-bearer-tokens

inputs:
  --cfg FILE           oauth2-proxy's TOML config file (--config)
  --alpha-config FILE  oauth2-proxy's alpha YAML config
  --env-file FILE      OAUTH2_PROXY_* variables, KEY=value lines
  --from-env           also read OAUTH2_PROXY_* from this process's environment
  --compose FILE       a docker compose file with an oauth2-proxy service (command, environment, mounted cfg)
  --helm-values FILE   values of the oauth2-proxy Helm chart (config, extraArgs, extraEnv, ingress annotations)
  -- FLAGS...          oauth2-proxy command-line flags (--flag=value, --flag value, -flag)
outputs:
  --out FILE           the Gatehouse config (default: stdout)
  --report FILE        the report (default: stderr)
  -h, --help           show this help
Exit codes: 0 written, 64 bad command line or unreadable input.
`,
  },
}

export const USAGE = `usage: gatehouse <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`)
  .join('\n')}

options:
  -h, --help       show this help (or a command's: gatehouse <command> --help)
  -V, --version    print the version

Run 'gatehouse <command> --help' for a command's options.
`

export type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; command: string; flags: Record<string, string | undefined>; rest?: string[] }

/** A command-line mistake: the message is shown with a pointer to --help, exit 64. */
export class UsageError extends Error {}

/** Edit distance, for "did you mean": flags are short, so the quadratic table is nothing. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}

function closest(name: string, candidates: string[]): string | undefined {
  const scored = candidates.map((c) => ({ c, d: c.startsWith(name) || name.startsWith(c) ? 0 : distance(name, c) }))
  const best = scored.sort((x, y) => x.d - y.d)[0]
  return best && best.d <= 2 ? best.c : undefined
}

/** Turns node:util's messages into one short sentence naming the option. */
function usageProblem(err: Error & { code?: string }, command: string, options: Options): UsageError {
  const names = Object.keys(options)
  const flag = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1]
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    const guess = closest(flag.replace(/^-+/, ''), names)
    return new UsageError(`${command}: unknown option ${flag}${guess ? ` (did you mean --${guess}?)` : ''}`)
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    return new UsageError(`${command}: option ${flag} needs a value`)
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(err.message)?.[1]
    return new UsageError(`${command}: unexpected argument ${arg ? `"${arg}"` : ''}`.trim())
  }
  return new UsageError(`${command}: ${err.message}`)
}

export function parseCommandLine(argv: string[]): Parsed {
  const [first, ...rest] = argv
  if (first === undefined) throw new UsageError('no command given')
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined
    if (topic !== undefined && !COMMANDS[topic]) throw new UsageError(`help: unknown command "${topic}"`)
    return { kind: 'help', text: topic ? COMMANDS[topic]!.help : USAGE }
  }
  if (first === '--version' || first === '-V') return { kind: 'version' }
  const command = COMMANDS[first]
  if (!command) {
    throw new UsageError(first.startsWith('-') ? `unknown option ${first}` : `unknown command "${first}"`)
  }
  let values: Record<string, unknown>
  // Everything after `--` is passed on untouched (oauth2-proxy's flags for migrate).
  const dashes = command.passThrough ? rest.indexOf('--') : -1
  const own = dashes >= 0 ? rest.slice(0, dashes) : rest
  try {
    values = parseArgs({ args: own, options: command.options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw usageProblem(err as Error, first, command.options)
  }
  if (values.help) return { kind: 'help', text: command.help }
  const flags: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(values)) {
    if (v === true) flags[k] = 'true'
    if (typeof v !== 'string') continue
    if (v.trim() === '') throw new UsageError(`${first}: option --${k} needs a value`)
    flags[k] = v
  }
  return { kind: 'run', command: first, flags, ...(dashes >= 0 && { rest: rest.slice(dashes + 1) }) }
}

/**
 * The version from Gatehouse's own package.json, found by walking up from this module's file, so it
 * works from a checkout, a global npm install and a compiled build alike (never the cwd's package.json).
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'gatehouse' && pkg.version) return pkg.version
    } catch {
      // not here; one level up
    }
    dir = dirname(dir)
  }
  return 'unknown'
}
