/** Gatehouse itself, started from the CLI exactly as a user would: `node --import tsx src/cli.ts serve`. */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { fetchLoopback } from './net.js'
import { startProcess, waitFor, type Managed } from './proc.js'

export interface GatehouseParams {
  port: number
  publicUrl: string
  issuer: string
  cookieDomain: string
  workDir: string
  logDir: string
  repoRoot: string
  /** `rules:` block; dropped (and reported) when this Gatehouse build does not accept the key yet. */
  rules?: unknown[]
  /** Upstream mode: the application Gatehouse proxies to. */
  upstream?: string
  /** Same secret for several instances, so one session cookie works on all of them. */
  cookieSecret?: string
  /** `server.trustedProxies`; default loopback (Gatehouse behind a proxy on this host). */
  trustedProxies?: string[]
  /**
   * Extra `server:` keys a newer Gatehouse may know (e.g. `debugRuleHeader`); each one the build rejects is
   * dropped and reported in `optionalErrors`, like `rules`.
   */
  optionalServer?: Record<string, unknown>
  /** Log file name under logDir; default gatehouse.log. */
  name?: string
  /** Default: CLIENT_SECRET. */
  clientSecret?: string
  /** Top-level config keys set over the defaults (e.g. `headers`, `upstream`). */
  overrides?: Record<string, unknown>
}

export interface RunningGatehouse {
  origin: string
  proc: Managed
  configFile: string
  config: Record<string, unknown>
  /** Why the rules block could not be used, if it could not. */
  rulesError?: string
  /** Optional server keys this build rejected. */
  optionalErrors: Record<string, string>
}

export const CLIENT_ID = 'gatehouse'
export const CLIENT_SECRET = 's3cret'
export const COOKIE_NAME = '_gatehouse'

function buildConfig(p: GatehouseParams, withRules: boolean, optional: Record<string, unknown>, secret: string) {
  const config: Record<string, unknown> = {
    server: {
      listen: `127.0.0.1:${p.port}`,
      publicUrl: p.publicUrl,
      trustedProxies: p.trustedProxies ?? ['127.0.0.1/32', '::1/128'],
      ...optional,
    },
    cookie: {
      name: COOKIE_NAME,
      secret,
      domains: [p.cookieDomain],
      secure: false,
      sameSite: 'lax',
      expire: '1h',
    },
    redirect: { allowedDomains: [p.cookieDomain] },
    providers: [
      {
        id: 'corp',
        type: 'keycloak',
        issuer: p.issuer,
        clientId: CLIENT_ID,
        clientSecret: p.clientSecret ?? CLIENT_SECRET,
        allowInsecureRequests: true,
      },
    ],
    authorization: { groups: [] },
    logging: { level: 'debug' },
  }
  if (withRules && p.rules) config.rules = p.rules
  if (p.upstream) config.upstream = p.upstream
  return { ...config, ...p.overrides }
}

function checkConfig(repoRoot: string, file: string): { ok: boolean; output: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'check-config', '--config', file], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` }
}

export async function startGatehouse(p: GatehouseParams): Promise<RunningGatehouse> {
  const name = p.name ?? 'gatehouse'
  const configFile = join(p.workDir, `${name}.yaml`)
  const secret = p.cookieSecret ?? randomBytes(32).toString('base64url')
  const optional = { ...p.optionalServer }
  const optionalErrors: Record<string, string> = {}
  let withRules = true
  let rulesError: string | undefined
  let config = buildConfig(p, withRules, optional, secret)
  writeFileSync(configFile, stringify(config))
  let check = checkConfig(p.repoRoot, configFile)
  for (;;) {
    if (check.ok) break
    const key = Object.keys(optional).find((k) => check.output.includes(k))
    if (key) {
      optionalErrors[key] = check.output.trim()
      delete optional[key]
    } else if (withRules && p.rules && /rules/.test(check.output)) {
      rulesError = check.output.trim()
      withRules = false
    } else break
    config = buildConfig(p, withRules, optional, secret)
    writeFileSync(configFile, stringify(config))
    check = checkConfig(p.repoRoot, configFile)
  }
  if (!check.ok) throw new Error(`gatehouse check-config rejected ${configFile}:\n${check.output}`)

  const proc = startProcess({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', configFile],
    cwd: p.repoRoot,
    logFile: join(p.logDir, `${name}.log`),
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  const origin = `http://127.0.0.1:${p.port}`
  await waitFor(proc, 'Gatehouse /ping', async () => (await fetchLoopback(`${origin}/ping`)).status === 200, 30_000)
  // /ready: the provider's discovery document and keys were fetched from the realm
  await waitFor(proc, 'Gatehouse /ready', async () => (await fetchLoopback(`${origin}/ready`)).status === 200, 30_000)
  return { origin, proc, configFile, config, rulesError, optionalErrors }
}
