import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from '@jest/globals'
import { parseCommandLine, UsageError } from '../../src/cli-args.js'
import { loadConfig } from '../../src/config/load.js'
import { ConfigError } from '../../src/errors.js'

const run = promisify(execFile)
const CLI = ['--import', 'tsx', 'src/cli.ts']

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run('node', [...CLI, ...args], { env: { ...process.env, NODE_OPTIONS: '', ...env } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/**
 * Each start of the CLI under tsx costs seconds on a loaded machine, so a test starts it at most once: the
 * process is tested for what only the process does (exit codes, stdout/stderr framing, --help winning over the
 * command). Config problems and the command-line grammar behind the other cases are checked in-process
 * through the same functions src/cli.ts calls (loadConfig: ConfigError is exit 2; parseCommandLine:
 * UsageError is exit 64), which the single starts prove.
 */
const configError = async (path: string): Promise<string> => {
  const err = await loadConfig(path).then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(ConfigError)
  return `gatehouse: ${(err as Error).message}\n`
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('gatehouse CLI', () => {
  it('check-config accepts the example config with its environment', async () => {
    const res = await cli(['check-config', '--config', 'examples/gatehouse.yaml'], {
      GATEHOUSE_COOKIE_SECRET: Buffer.alloc(32, 1).toString('base64'),
      KC_SECRET: 'kc-secret',
    })
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('OK')
  }, 60_000)

  it('exits 2 listing every problem with its key path', async () => {
    const path = file('bad.yaml', `
server: { publicUrl: "not a url", lisen: ":1" }
cookie: { secret: "c2hvcnQ=" }
providers:
  - { id: corp, type: keycloack }
authorization: {}
`)
    const stderr = await configError(path)
    expect(stderr).toContain('server.publicUrl: must be an absolute http(s) URL')
    expect(stderr).toContain('server: unknown key(s) "lisen"')
    expect(stderr).not.toMatch(/\bat \S+:\d+/)
  })

  it('exits 2 on unknown provider types, naming the known ones', async () => {
    const path = file('type.yaml', `
server: { publicUrl: "https://auth.example.com" }
cookie: { secret: "${Buffer.alloc(32).toString('base64')}" }
providers: [{ id: corp, type: keycloack }]
authorization: {}
`)
    expect(await configError(path)).toMatch(/providers\[0\]\.type: unknown provider type "keycloack".*known types: oidc, keycloak/)
  })

  it('exits 2 on YAML syntax errors and missing files', async () => {
    await configError(file('syntax.yaml', 'server: [unclosed\n'))
    expect(await configError(join(dir, 'nope.yaml'))).toContain('cannot read (ENOENT)')
  })

  it('check-config catches offline what would make serve fail or never become ready, in our words', async () => {
    const path = file('offline.yaml', `
server: { publicUrl: "https://auth.example.com" }
cookie: { secret: "\${GATEHOUSE_TEST_UNSET}", previousSecrets: ["\${GATEHOUSE_TEST_UNSET}"] }
redirect: { allowedDomains: ["https://app.example.com"] }
providers:
  - { id: corp, type: keycloak, issuer: sso.example.com, clientId: c, clientSecret: s }
  - { id: dev, type: oidc, issuer: "http://127.0.0.1:9/", clientId: c, clientSecret: s }
`)
    const res = await cli(['check-config', '--config', path])
    expect(res.code).toBe(2)
    expect(res.stderr).toBe(
      [
        'gatehouse: invalid configuration:',
        '  - cookie.secret, cookie.previousSecrets[0]: environment variable GATEHOUSE_TEST_UNSET is not set',
        '  - providers[0].issuer: must be an absolute URL such as https://sso.example.com',
        '  - providers[1].issuer: is http: use https, or set allowInsecureRequests: true (local tests and the demo only)',
        '  - redirect.allowedDomains[0]: "https://app.example.com" has a scheme: write the host only, e.g. "app.example.com" (an http(s) rd on that host is then allowed)',
        '',
      ].join('\n'),
    )
  }, 60_000)

  it('serve refuses to start on an invalid config', async () => {
    const res = await cli(['serve', '--config', file('serve.yaml', 'server: {}\n')])
    expect(res.code).toBe(2)
  }, 60_000)
})

const GOOD = () => `
server: { publicUrl: "https://auth.example.com" }
cookie: { secret: "${Buffer.alloc(32, 3).toString('base64')}" }
providers: [{ id: corp, type: keycloak, issuer: "https://sso.example.com/realms/corp", clientId: c, clientSecret: s }]
authorization: {}
`

describe('gatehouse command line', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }

  it('--help prints the usage on stdout and exits 0; -h and help are the same', async () => {
    const res = await cli(['--help'])
    expect(res).toMatchObject({ code: 0, stderr: '' })
    expect(res.stdout).toContain('usage: gatehouse <command>')
    for (const command of ['serve', 'check-config', 'explain']) expect(res.stdout).toContain(command)
    for (const args of [['-h'], ['help']]) expect(parseCommandLine(args)).toEqual({ kind: 'help', text: res.stdout })
  }, 60_000)

  it('serve --help prints that command\'s help, exits 0 and does nothing else', async () => {
    // A config that would make serve start (or fail) proves that --help wins over running the command.
    const res = await cli(['serve', '--config', file('help.yaml', GOOD()), '--help'])
    expect(res).toMatchObject({ code: 0, stderr: '' })
    expect(parseCommandLine(['help', 'serve'])).toEqual({ kind: 'help', text: res.stdout })
  }, 60_000)

  it.each(['serve', 'check-config', 'explain'])('%s --help is that command\'s help, the same as help %s', (command) => {
    const parsed = parseCommandLine([command, '--config', file('help.yaml', GOOD()), '--help'])
    expect(parsed).toEqual({ kind: 'help', text: expect.stringContaining(`usage: gatehouse ${command}`) })
    expect(parseCommandLine(['help', command])).toEqual(parsed)
  })

  it('--version prints the package version', async () => {
    const res = await cli(['--version'])
    expect(res).toMatchObject({ code: 0, stdout: `gatehouse ${pkg.version}\n`, stderr: '' })
  }, 60_000)

  it('-V prints the package version also when run from another folder', async () => {
    // From a folder with no package.json of ours, as a global install runs it (bin/ needs a build: test/package
    // covers the installed command; here the sources run through tsx, named by absolute path).
    const tsx = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href
    const elsewhere = await run('node', ['--import', tsx, join(process.cwd(), 'src/cli.ts'), '-V'], {
      cwd: dir,
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    expect(elsewhere.stdout).toBe(`gatehouse ${pkg.version}\n`)
  }, 60_000)

  it.each([
    [['serve', '--confg', 'x.yaml'], /serve: unknown option --confg \(did you mean --config\?\)/],
    [['explain', '--url', 'https://a.example.com/', '--user-group', 'sre'], /unknown option --user-group \(did you mean --user-groups\?\)/],
    [['check-config', '--config'], /check-config: option --config needs a value/],
    [['check-config', '--config', '--help'], /check-config: option --config needs a value/],
    [['check-config', '--config='], /check-config: option --config needs a value/],
    [['check-config', 'gatehouse.yaml'], /unexpected argument "gatehouse.yaml"/],
    [['serve', '--url', 'https://x/'], /serve: unknown option --url/],
    [['start'], /unknown command "start"/],
    [['--verbose'], /unknown option --verbose/],
    [[], /no command given/],
  ])('%j is refused with one clear line', (args, message) => {
    const err = (() => {
      try {
        parseCommandLine(args)
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(UsageError)
    expect((err as Error).message).toMatch(message)
    expect((err as Error).message).not.toMatch(/ERR_PARSE_ARGS|\bat \S+:\d+|\n/)
  })

  it('a refused command line exits 64 with the reason and a pointer to --help on stderr', async () => {
    const res = await cli(['serve', '--confg', 'x.yaml'], { GATEHOUSE_CONFIG: file('strict.yaml', GOOD()) })
    expect(res.code).toBe(64)
    expect(res.stdout).toBe('')
    expect(res.stderr).toBe("gatehouse: serve: unknown option --confg (did you mean --config?)\nRun 'gatehouse --help' for usage.\n")
  }, 60_000)

  it('explain --provider with an unknown id says so in one sentence', async () => {
    const res = await cli(['explain', '--config', file('explain.yaml', GOOD()), '--url', 'https://a.example.com/', '--provider', 'nope'])
    expect(res.code).toBe(64)
    expect(res.stderr).toBe('gatehouse explain: --provider "nope" is not configured; the configured ids are: corp\n')
  }, 60_000)
})
