/**
 * Deployment files that carry an oauth2-proxy configuration: a docker compose file (the oauth2-proxy
 * service's `command:`, `environment:` and the volume a `--config` path comes from) and Helm values of the
 * oauth2-proxy chart (`config.*`, `extraArgs`, `extraEnv`, `alphaConfig`, `sessionStorage`), at the top
 * or under a parent chart's key. Ingress-nginx `auth-*` annotations found anywhere are collected too.
 */
import { parseAllDocuments, stringify } from 'yaml'
import { splitCommand } from './read-flags.js'

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})

export interface DeployRead {
  kind: 'compose' | 'helm' | 'other'
  args: string[]
  env: Record<string, string>
  /** TOML text of the config file when the deployment holds it inline (Helm `config.configFile`). */
  cfgText?: string
  /** Compose: host path of the file mounted where `--config` points (relative to the compose file). */
  cfgPath?: string
  alphaText?: string
  /** `nginx.ingress.kubernetes.io/auth-*` annotations, by ingress (the path to the annotations in the file). */
  annotations: { at: string; values: Record<string, string> }[]
  problems: string[]
}

/** The chart's default configFile, used when values leave it alone. */
const CHART_DEFAULT_CFG = 'email_domains = [ "*" ]\nupstreams = [ "file:///dev/null" ]\n'

function findAnnotations(v: unknown, at: string, out: DeployRead['annotations']): void {
  if (Array.isArray(v)) v.forEach((e, i) => findAnnotations(e, `${at}[${i}]`, out))
  else if (v && typeof v === 'object') {
    const o = v as Obj
    const auth = Object.entries(o).filter(([k]) => k.startsWith('nginx.ingress.kubernetes.io/auth-'))
    if (auth.length) out.push({ at, values: Object.fromEntries(auth.map(([k, x]) => [k.slice('nginx.ingress.kubernetes.io/'.length), String(x)])) })
    for (const [k, x] of Object.entries(o)) findAnnotations(x, at ? `${at}.${k}` : k, out)
  }
}

function envList(v: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(v)) {
    for (const e of v) {
      if (typeof e === 'string') {
        const i = e.indexOf('=')
        if (i > 0) out[e.slice(0, i)] = e.slice(i + 1)
      } else if (obj(e).name && obj(e).value !== undefined) out[String(obj(e).name)] = String(obj(e).value)
    }
  } else for (const [k, x] of Object.entries(obj(v))) if (x !== null && typeof x !== 'object') out[k] = String(x)
  return out
}

function argsOf(v: unknown): string[] {
  if (typeof v === 'string') return splitCommand(v)
  if (Array.isArray(v)) return v.map(String)
  // The chart's map form: `extraArgs: { provider: oidc, skip-jwt-bearer-tokens: true }`.
  return Object.entries(obj(v)).flatMap(([k, x]) => (Array.isArray(x) ? x.map((e) => `--${k}=${String(e)}`) : [`--${k}=${String(x)}`]))
}

function fromCompose(doc: Obj, read: DeployRead): void {
  const services = obj(doc.services)
  const entry = Object.entries(services).find(([name, s]) => /oauth2-proxy/.test(String(obj(s).image ?? '')) || name === 'oauth2-proxy')
  if (!entry) {
    read.problems.push('compose file: no oauth2-proxy service (an image named oauth2-proxy)')
    return
  }
  const svc = obj(entry[1])
  read.kind = 'compose'
  read.args = argsOf(svc.command).filter((a) => a !== 'oauth2-proxy' && !a.endsWith('/oauth2-proxy'))
  read.env = envList(svc.environment)
  const configAt = read.args.findIndex((a) => a === '--config' || a.startsWith('--config='))
  const target = configAt < 0 ? undefined : read.args[configAt]!.includes('=') ? read.args[configAt]!.split('=')[1] : read.args[configAt + 1]
  const mounts = (Array.isArray(svc.volumes) ? svc.volumes : []).map((m) => String(typeof m === 'string' ? m : `${obj(m).source}:${obj(m).target}`).split(':'))
  const mount = mounts.find(([, dst]) => (target ? dst === target : /\.cfg$/.test(dst ?? '')))
  if (mount) read.cfgPath = mount[0]
  if (!target && mount) read.problems.push(`compose file: no --config in command; assumed the mounted ${mount[1]} is the config file`)
}

function fromHelm(values: Obj, read: DeployRead): void {
  read.kind = 'helm'
  const config = obj(values.config)
  const env: Record<string, string> = {}
  const set = (name: string, v: unknown) => {
    if (typeof v === 'string' && v !== '') env[`OAUTH2_PROXY_${name}`] = v
  }
  set('CLIENT_ID', config.clientID)
  set('CLIENT_SECRET', config.clientSecret)
  set('COOKIE_SECRET', config.cookieSecret)
  set('COOKIE_NAME', config.cookieName)
  const google = obj(config.google)
  set('GOOGLE_ADMIN_EMAIL', google.adminEmail)
  if (Array.isArray(google.groups)) env.OAUTH2_PROXY_GOOGLE_GROUPS = google.groups.join(',')
  if (config.existingSecret) read.problems.push(`helm values: config.existingSecret "${String(config.existingSecret)}": client id and secrets come from that Secret`)
  const session = obj(values.sessionStorage)
  if (session.type === 'redis') {
    env.OAUTH2_PROXY_SESSION_STORE_TYPE = 'redis'
    const redis = obj(session.redis)
    set('REDIS_PASSWORD', redis.password)
    const type = String(redis.clientType ?? 'standalone')
    if (type === 'standalone') set('REDIS_CONNECTION_URL', obj(redis.standalone).connectionUrl)
    if (type === 'cluster') {
      env.OAUTH2_PROXY_REDIS_USE_CLUSTER = 'true'
      env.OAUTH2_PROXY_REDIS_CLUSTER_CONNECTION_URLS = ((obj(redis.cluster).connectionUrls as string[]) ?? []).join(',')
    }
    if (type === 'sentinel') {
      env.OAUTH2_PROXY_REDIS_USE_SENTINEL = 'true'
      set('REDIS_SENTINEL_MASTER_NAME', obj(redis.sentinel).masterName)
      env.OAUTH2_PROXY_REDIS_SENTINEL_CONNECTION_URLS = ((obj(redis.sentinel).connectionUrls as string[]) ?? []).join(',')
    }
    // The redis subchart with no URL: the chart points oauth2-proxy at it.
    if (type === 'standalone' && !env.OAUTH2_PROXY_REDIS_CONNECTION_URL && obj(values.redis).enabled) {
      env.OAUTH2_PROXY_REDIS_CONNECTION_URL = 'redis://oauth2-proxy-redis-master:6379'
    }
  }
  Object.assign(env, envList(values.extraEnv))
  read.env = env
  read.args = argsOf(values.extraArgs)
  read.cfgText = typeof config.configFile === 'string' ? config.configFile : CHART_DEFAULT_CFG
  const alpha = obj(values.alphaConfig)
  if (alpha.enabled) read.alphaText = stringify({ ...obj(alpha.configData), ...obj(alpha.serverConfigData), ...obj(alpha.metricsConfigData) })
}

const isHelm = (o: Obj) => 'extraArgs' in o || ('config' in o && ('clientID' in obj(o.config) || 'configFile' in obj(o.config)))

export function readDeploy(text: string): DeployRead {
  const read: DeployRead = { kind: 'other', args: [], env: {}, annotations: [], problems: [] }
  const docs = parseAllDocuments(text)
  for (const d of docs) {
    if (d.errors.length) {
      read.problems.push(`not valid YAML (${d.errors[0]!.message.split('\n')[0]!.slice(0, 80)})`)
      continue
    }
    const doc = obj(d.toJS())
    findAnnotations(doc, '', read.annotations)
    if (read.kind !== 'other') continue
    if (doc.services) fromCompose(doc, read)
    else if (isHelm(doc)) fromHelm(doc, read)
    else {
      const nested = Object.values(doc).find((v) => isHelm(obj(v)))
      if (nested) fromHelm(obj(nested), read)
    }
  }
  return read
}
