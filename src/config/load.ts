/**
 * Reads, interpolates and validates the configuration once, reporting every problem with its key
 * path, then deep-freezes the result. Nothing else in Gatehouse reads the file or the environment.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { isIP } from 'node:net'
import { parseDocument, type YAMLError } from 'yaml'
import { offlineChecks } from './checks.js'
import type { z } from 'zod'
import { ConfigError } from '../errors.js'
import type { ProviderDefinition } from '../plugin.js'
import { BUILTIN_PROVIDERS, createRegistry, resolveDefinition, type Registry } from '../registry.js'
import { parseDuration } from './duration.js'
import { cookieName } from './cookie-name.js'
import { sessionConfig, type SessionConfig } from './session.js'
import { uiConfig, type UiConfig } from './ui.js'
import { configSchema, type AuthorizationConfig, type RawConfig } from './schema.js'
import './messages.js'
import { parseRules } from '../rules/definitions.js'
import type { RulesConfig } from '../rules/types.js'
import type { JwtAlgorithm } from '../tokens/jwt.js'
import { mappingProblems } from '../headers/mapping.js'
import { ephemeralKeySet, loadKeySet } from '../assertion/keys.js'
import type { AssertionConfig } from '../assertion/sign.js'

export interface ProviderConfig {
  id: string
  type: string
  displayName: string
  authorization?: AuthorizationConfig
  definition: ProviderDefinition<unknown>
  options: unknown
}

/** An `extraIssuers` entry with durations in seconds. */
export interface ExtraIssuerConfig {
  id: string
  issuer: string
  jwksUrl?: string
  audiences: readonly string[]
  authorizedParties: readonly string[]
  typ?: string
  algorithms: readonly JwtAlgorithm[]
  clockSkewSeconds: number
  jwksCooldownSeconds: number
  userClaim: string
  emailClaim: string
  groupsClaim: string
  authorization?: AuthorizationConfig
}

export interface Config {
  server: {
    host: string
    port: number
    publicUrl: URL
    trustedProxies: readonly string[]
    trustForwardedPrefix: boolean
    keepAliveTimeoutMs: number
    headersTimeoutMs: number
    requestTimeoutMs: number
    maxConnections: number
    workers: number
    shutdownGraceMs: number
    shutdownDelayMs: number
    debugRuleHeader: boolean
  }
  cookie: {
    name: string
    /** The first key encrypts; all decrypt. */
    keys: readonly Buffer[]
    domains: readonly string[]
    secure: boolean
    sameSite: 'lax' | 'strict' | 'none'
    expireSeconds: number
    csrfExpireSeconds: number
  }
  session: SessionConfig
  redirect: { allowedDomains: readonly string[] }
  providers: readonly ProviderConfig[]
  authorization: AuthorizationConfig
  headers: RawConfig['headers']
  /** The signed identity assertion with its keys; undefined when `headers.assertion.enabled` is false. */
  assertion?: AssertionConfig
  cache: { maxEntries: number; maxTtlSeconds: number; bearerMaxEntries: number; negativeTtlSeconds: number }
  extraIssuers: readonly ExtraIssuerConfig[]
  upstream?: URL
  /** Validated and normalised `rules:` plus `defaultRule:`; compiled per Runtime. */
  rules: RulesConfig
  metrics: { host: string; port: number } | undefined
  /** Serve /metrics on the main listener too. */
  metricsOnMainListener: boolean
  logging: RawConfig['logging']
  /** Page branding; the logo already read and checked. */
  ui: UiConfig
  /** Where the file was read from, for reloads. */
  source?: string
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** Variables referenced but not set, each with the key paths that use it. */
type MissingEnv = Map<string, string[]>

/** Replaces `${VAR}` / `${VAR:-default}` inside string values; unknown variables are collected. */
function interpolate(value: unknown, path: string, env: NodeJS.ProcessEnv, missing: MissingEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name]
      if (v !== undefined && v !== '') return v
      if (fallback !== undefined) return fallback
      const at = path || '(root)'
      missing.set(name, [...(missing.get(name) ?? []).filter((p) => p !== at), at])
      return ''
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, `${path}[${i}]`, env, missing))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, path ? `${path}.${k}` : k, env, missing)
    return out
  }
  return value
}

/**
 * One problem per missing variable, naming every key that uses it; the keys' own follow-up problems (an
 * empty secret is too short, an empty URL is no URL) would only repeat it, so they are dropped.
 */
function withMissingEnv(problems: string[], missing: MissingEnv): string[] {
  if (missing.size === 0) return problems
  const paths = [...missing.values()].flat()
  const consequence = (p: string) => paths.some((at) => p.startsWith(`${at}:`) || p.startsWith(`${at}.`) || p.startsWith(`${at}[`))
  const own = [...missing].map(([name, at]) => `${at.join(', ')}: environment variable ${name} is not set`)
  return [...own, ...problems.filter((p) => !consequence(p))]
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  )
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`)
}

/** Decodes a 32-byte secret written as base64 or base64url; undefined when it is anything else. */
export function decodeSecret(secret: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(secret)) return undefined
  const bytes = Buffer.from(secret.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  return bytes.length === 32 ? bytes : undefined
}

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':')
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '')
  return { host: host || '0.0.0.0', port: Number(listen.slice(i + 1)) }
}

function checkCidr(cidr: string): boolean {
  const [addr, bits, extra] = cidr.split('/')
  if (extra !== undefined || !addr) return false
  const family = isIP(addr)
  if (!family) return false
  if (bits === undefined) return true
  const n = Number(bits)
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128)
}

/** The assertion's keys: loaded from files, or one generated per process. */
async function assertionConfig(raw: RawConfig, baseDir: string, problems: string[]): Promise<AssertionConfig | undefined> {
  const { keys: files, header, ttl } = raw.headers.assertion
  if (files.length === 0 && raw.server.workers !== 1) {
    problems.push('headers.assertion.keys: with server.workers other than 1 every worker would sign with its own generated key; give key files')
    return undefined
  }
  const loaded = files.length > 0 ? await loadKeySet(files, baseDir) : { keys: ephemeralKeySet(), problems: [] }
  problems.push(...loaded.problems)
  return loaded.keys && { header, ttlSeconds: parseDuration(ttl)!, keys: loaded.keys }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !Buffer.isBuffer(value) && !(value instanceof URL)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  /** Folder against which plugin paths resolve (default: the config file's folder or cwd). */
  baseDir?: string
  registry?: Registry
}

/** Validates an already-parsed config object. Throws ConfigError listing every problem. */
export async function buildConfig(input: unknown, options: LoadOptions = {}): Promise<Config> {
  const problems: string[] = []
  const env = options.env ?? process.env
  const missingEnv: MissingEnv = new Map()
  const interpolated = interpolate(input ?? {}, '', env, missingEnv)
  const parsed = configSchema.safeParse(interpolated)
  if (!parsed.success) problems.push(...zodProblems(parsed.error))
  const raw = parsed.success ? parsed.data : undefined

  // Cross-field checks need a parsed config; a partially invalid one still gets them where possible.
  const keys: Buffer[] = []
  if (raw) {
    const current = decodeSecret(raw.cookie.secret)
    if (!current) problems.push('cookie.secret: must be 32 random bytes, base64 or base64url encoded (openssl rand -base64 32)')
    else keys.push(current)
    raw.cookie.previousSecrets.forEach((s, i) => {
      const k = decodeSecret(s)
      if (!k) problems.push(`cookie.previousSecrets[${i}]: must be 32 random bytes, base64 or base64url encoded`)
      else keys.push(k)
    })
    raw.server.trustedProxies.forEach((c, i) => {
      if (!checkCidr(c)) problems.push(`server.trustedProxies[${i}]: "${c}" is not an IP address or CIDR range`)
    })
    const publicUrl = new URL(raw.server.publicUrl)
    if (publicUrl.pathname !== '/' || publicUrl.search || publicUrl.hash) {
      problems.push('server.publicUrl: must be an origin without path, query or fragment')
    }
    if (raw.cookie.sameSite === 'none' && (raw.cookie.secure === false || publicUrl.protocol === 'http:')) {
      problems.push('cookie.sameSite: "none" requires secure cookies (an https publicUrl)')
    }
    problems.push(...cookieName(raw.cookie, publicUrl).problems)
    const headersTimeout = parseDuration(raw.server.headersTimeout) ?? 0
    if (headersTimeout <= 0) problems.push('server.headersTimeout: must be more than 0s')
    if ((parseDuration(raw.server.requestTimeout) ?? 0) < headersTimeout) problems.push('server.requestTimeout: must be at least server.headersTimeout')
    raw.cookie.domains.forEach((d, i) => {
      const host = publicUrl.hostname
      const bare = d.replace(/^\./, '').toLowerCase()
      if (!/^[a-z0-9.-]+$/i.test(bare)) problems.push(`cookie.domains[${i}]: "${d}" is not a domain`)
      else if (host !== bare && !host.endsWith('.' + bare)) {
        problems.push(`cookie.domains[${i}]: "${d}" does not cover the publicUrl host ${host}`)
      }
    })
  }

  const providers: ProviderConfig[] = []
  if (raw) {
    const registry = options.registry ?? createRegistry(BUILTIN_PROVIDERS)
    const seen = new Set<string>()
    for (const [i, entry] of raw.providers.entries()) {
      const at = `providers[${i}]`
      if (seen.has(entry.id)) problems.push(`${at}.id: duplicate provider id "${entry.id}"`)
      seen.add(entry.id)
      const definition = await resolveDefinition(registry, entry.type, options.baseDir ?? process.cwd())
      if (typeof definition === 'string') {
        problems.push(`${at}.type: ${definition}`)
        continue
      }
      const { id, type, displayName, authorization, ...rest } = entry
      let result: ReturnType<typeof definition.parseOptions>
      try {
        result = definition.parseOptions(rest)
      } catch (err) {
        // A plugin's own check that throws is still a problem with a key path, not a crash.
        problems.push(`${at}: the ${type} provider could not check its options (${(err as Error).message})`)
        continue
      }
      if (!result.ok) {
        problems.push(...result.errors.map((e) => `${at}.${e}`))
        continue
      }
      providers.push({
        id,
        type,
        displayName: displayName ?? definition.displayName,
        authorization,
        definition,
        options: result.options,
      })
    }
  }

  if (raw) {
    const ids = new Set(raw.providers.map((p) => p.id))
    raw.extraIssuers.forEach((e, i) => {
      if (ids.has(e.id)) problems.push(`extraIssuers[${i}].id: "${e.id}" is already used by a provider or another issuer`)
      ids.add(e.id)
    })
  }

  const rules = raw ? parseRules(raw.rules, raw.defaultRule, raw.providers) : undefined
  if (rules) problems.push(...rules.problems)

  if (raw) problems.push(...offlineChecks(raw), ...mappingProblems(raw.headers))
  const baseDir = options.baseDir ?? process.cwd()
  const assertion = raw?.headers.assertion.enabled ? await assertionConfig(raw, baseDir, problems) : undefined
  const ui = raw ? await uiConfig(raw.ui, baseDir) : undefined
  if (ui) problems.push(...ui.problems)
  if (problems.length > 0 || missingEnv.size > 0 || !raw || !rules?.rules || !ui) throw new ConfigError(withMissingEnv(problems, missingEnv))

  const publicUrl = new URL(raw.server.publicUrl)
  const config: Config = {
    server: {
      ...splitListen(raw.server.listen),
      publicUrl,
      trustedProxies: raw.server.trustedProxies,
      trustForwardedPrefix: raw.server.trustForwardedPrefix,
      keepAliveTimeoutMs: parseDuration(raw.server.keepAliveTimeout)! * 1000,
      headersTimeoutMs: parseDuration(raw.server.headersTimeout)! * 1000,
      requestTimeoutMs: parseDuration(raw.server.requestTimeout)! * 1000,
      maxConnections: raw.server.maxConnections,
      workers: raw.server.workers,
      shutdownGraceMs: parseDuration(raw.server.shutdownGracePeriod)! * 1000,
      shutdownDelayMs: parseDuration(raw.server.shutdownDelay)! * 1000,
      debugRuleHeader: raw.server.debugRuleHeader,
    },
    cookie: {
      name: cookieName(raw.cookie, publicUrl).name,
      keys,
      domains: raw.cookie.domains.map((d) => d.toLowerCase()),
      secure: raw.cookie.secure ?? publicUrl.protocol === 'https:',
      sameSite: raw.cookie.sameSite,
      expireSeconds: parseDuration(raw.cookie.expire)!,
      csrfExpireSeconds: parseDuration(raw.cookie.csrfExpire)!,
    },
    session: sessionConfig(raw.session),
    redirect: { allowedDomains: raw.redirect.allowedDomains.map((d) => d.toLowerCase()) },
    providers,
    authorization: raw.authorization,
    headers: raw.headers,
    assertion,
    cache: {
      maxEntries: raw.cache.maxEntries,
      maxTtlSeconds: parseDuration(raw.cache.maxTtl)!,
      bearerMaxEntries: raw.cache.bearerMaxEntries ?? raw.cache.maxEntries,
      negativeTtlSeconds: parseDuration(raw.cache.negativeTtl)!,
    },
    extraIssuers: raw.extraIssuers.map(({ clockSkew, jwksCooldown, allowInsecureRequests: _tests, ...e }) => ({
      ...e,
      clockSkewSeconds: parseDuration(clockSkew)!,
      jwksCooldownSeconds: parseDuration(jwksCooldown)!,
    })),
    upstream: raw.upstream ? new URL(raw.upstream) : undefined,
    rules: rules.rules,
    metrics: raw.metrics.listen ? splitListen(raw.metrics.listen) : undefined,
    metricsOnMainListener: raw.metrics.onMainListener ?? (!raw.metrics.listen && !raw.upstream),
    logging: raw.logging,
    ui: ui.ui,
  }
  return deepFreeze(config)
}

/** `file:line:column: YAML syntax error: message`, without the parser's trailing source excerpt. */
function yamlProblem(file: string, error: YAMLError): string {
  const at = error.linePos?.[0]
  const message = error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim()
  return `${file}${at ? `:${at.line}:${at.col}` : ''}: YAML syntax error: ${message}`
}

/** Reads a YAML file and validates it; YAML syntax errors are reported as problems too. */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<Config> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError([`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
  }
  const doc = parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => yamlProblem(file, e)))
  const config = await buildConfig(doc.toJS(), { baseDir: dirname(resolve(file)), ...options })
  return Object.freeze({ ...config, source: resolve(file) })
}
