/**
 * A real Keycloak (the Quarkus distribution fetched by scripts/fetch-keycloak.sh) in `start-dev` mode on loopback.
 *
 * Keycloak reads every `KC_*` environment variable as its own configuration, so it starts from an EMPTY environment
 * plus PATH, HOME, JAVA_HOME and the few settings named here. Its database is an H2 file in a scratch folder, so a
 * stop and a start (the "Keycloak down" scenario) keep realms, keys and sessions. Realms are created through the
 * admin REST API from the JSON files beside this folder, with the redirect URLs of this run filled in.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { startProcess, waitFor, type Managed } from '../../e2e/harness/proc.js'

/**
 * Up to ~4 min was measured for a start on a loaded 2-core machine, and the first start of a fresh download adds
 * Quarkus's build step (~1.5 min under load); failing earlier would be a false alarm.
 */
export const KEYCLOAK_READY_TIMEOUT_MS = Number(process.env.KEYCLOAK_READY_TIMEOUT_MS ?? 480_000)
const ADMIN = { username: 'ci-admin', password: 'ci-admin-password' }

export function keycloakVersion(repoRoot: string): string {
  if (process.env.KEYCLOAK_VERSION) return process.env.KEYCLOAK_VERSION
  const script = readFileSync(join(repoRoot, 'scripts', 'fetch-keycloak.sh'), 'utf8')
  const version = /KEYCLOAK_VERSION="\$\{KEYCLOAK_VERSION:-([0-9.]+)\}"/.exec(script)?.[1]
  if (!version) throw new Error('cannot read the default KEYCLOAK_VERSION from scripts/fetch-keycloak.sh')
  return version
}

/** The distribution folder: KEYCLOAK_HOME, else the cache that scripts/fetch-keycloak.sh fills. */
export function keycloakHome(repoRoot: string): string {
  const tools = process.env.GATEHOUSE_TOOLS ?? join(homedir(), '.cache', 'gatehouse-tools')
  const home = process.env.KEYCLOAK_HOME ?? join(tools, `keycloak-${keycloakVersion(repoRoot)}`)
  if (!existsSync(join(home, 'bin', 'kc.sh'))) {
    throw new Error(`Keycloak not found at ${home}: run scripts/fetch-keycloak.sh (or set KEYCLOAK_HOME). This suite never skips.`)
  }
  return home
}

function javaHome(): string {
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME
  const java = execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim()
  if (!java) throw new Error('no java on PATH (Keycloak needs Java 17 or later)')
  return dirname(dirname(realpathSync(java)))
}

export interface KeycloakParams {
  home: string
  port: number
  managementPort: number
  /** Scratch folder for the H2 database; reused by restart(). */
  dataDir: string
  logDir: string
}

export interface RunningKeycloak {
  origin: string
  issuer(realm: string): string
  proc: Managed
  /** Every log file this server wrote (one per start). */
  logFiles: string[]
  stop(): Promise<void>
  /** Starts it again on the same port and database. */
  start(): Promise<void>
  admin: KeycloakAdmin
}

export async function startKeycloak(p: KeycloakParams): Promise<RunningKeycloak> {
  const origin = `http://127.0.0.1:${p.port}`
  const logFiles: string[] = []
  let proc: Managed | undefined
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: homedir(),
    JAVA_HOME: javaHome(),
    LANG: 'C.UTF-8',
    // ~0.6 GB resident: a fixed heap keeps the JVM from sizing itself on the machine's 24 GB.
    JAVA_OPTS_KC_HEAP: '-Xms128m -Xmx512m',
    // C1 only: start-up on a busy 2-core machine is dominated by JIT work, and the tests need no peak throughput.
    JAVA_OPTS_APPEND: '-XX:TieredStopAtLevel=1 -XX:ActiveProcessorCount=2',
    // Used once, when the database is new: the admin that the tests' admin REST calls sign in as.
    KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    KC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  }
  const args = [
    'start-dev',
    `--http-port=${p.port}`,
    '--http-host=127.0.0.1',
    `--http-management-port=${p.managementPort}`,
    '--db=dev-file',
    `--db-url=jdbc:h2:file:${join(p.dataDir, 'keycloakdb')};NON_KEYWORDS=VALUE`,
    '--log-console-color=false',
  ]

  const start = async () => {
    const logFile = join(p.logDir, `keycloak-${logFiles.length + 1}.log`)
    logFiles.push(logFile)
    proc = startProcess({ name: 'keycloak', command: join(p.home, 'bin', 'kc.sh'), args, cwd: p.dataDir, logFile, env })
    const started = Date.now()
    await waitFor(
      proc,
      `Keycloak on ${origin} (log ${logFile})`,
      async () => (await fetch(`${origin}/realms/master`, { signal: AbortSignal.timeout(5000) })).status === 200,
      KEYCLOAK_READY_TIMEOUT_MS,
    )
    console.log(`Keycloak ready on ${origin} after ${Math.round((Date.now() - started) / 1000)} s`)
  }
  await start()
  return {
    origin,
    issuer: (realm) => `${origin}/realms/${realm}`,
    get proc() {
      return proc!
    },
    logFiles,
    stop: async () => {
      await proc?.stop(30_000)
    },
    start,
    admin: new KeycloakAdmin(origin),
  }
}

export interface TokenSet {
  access_token: string
  id_token?: string
  refresh_token?: string
  expires_in: number
}

async function form(url: string, body: Record<string, string>): Promise<TokenSet> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`POST ${url} -> ${res.status}: ${text.slice(0, 500)}`)
  return JSON.parse(text) as TokenSet
}

/** The admin REST API and the token endpoint, as the tests use them. */
export class KeycloakAdmin {
  constructor(private readonly origin: string) {}

  tokenEndpoint(realm: string): string {
    return `${this.origin}/realms/${realm}/protocol/openid-connect/token`
  }

  passwordGrant(realm: string, clientId: string, secret: string, username: string, password: string, scope = 'openid'): Promise<TokenSet> {
    return form(this.tokenEndpoint(realm), { grant_type: 'password', client_id: clientId, client_secret: secret, username, password, scope })
  }

  clientCredentials(realm: string, clientId: string, secret: string): Promise<TokenSet> {
    return form(this.tokenEndpoint(realm), { grant_type: 'client_credentials', client_id: clientId, client_secret: secret })
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const { access_token } = await form(this.tokenEndpoint('master'), {
      grant_type: 'password',
      client_id: 'admin-cli',
      username: ADMIN.username,
      password: ADMIN.password,
    })
    const res = await fetch(`${this.origin}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${access_token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    })
    if (res.status >= 300) throw new Error(`${method} /admin${path} -> ${res.status}: ${(await res.text()).slice(0, 500)}`)
    return res
  }

  async realmExists(realm: string): Promise<boolean> {
    const res = await fetch(`${this.origin}/realms/${realm}`, { signal: AbortSignal.timeout(10_000) })
    return res.status === 200
  }

  async createRealm(representation: unknown): Promise<void> {
    await this.call('POST', '/realms', representation)
  }

  async json<T>(path: string): Promise<T> {
    return (await (await this.call('GET', path)).json()) as T
  }

  async userId(realm: string, username: string): Promise<string> {
    const [user] = await this.json<{ id: string }[]>(`/realms/${realm}/users?exact=true&username=${encodeURIComponent(username)}`)
    if (!user) throw new Error(`no user ${username} in ${realm}`)
    return user.id
  }

  /** Ends every Keycloak session of the user (the admin console's "Sign out" on the user's Sessions tab). */
  async logoutUser(realm: string, userId: string): Promise<void> {
    await this.call('POST', `/realms/${realm}/users/${userId}/logout`)
  }

  /** Merges `attributes` into a client's attributes; returns the previous values of the keys it set. */
  async setClientAttributes(realm: string, clientId: string, attributes: Record<string, string>): Promise<Record<string, string>> {
    const [client] = await this.json<{ id: string; attributes?: Record<string, string> }[]>(
      `/realms/${realm}/clients?clientId=${encodeURIComponent(clientId)}`,
    )
    if (!client) throw new Error(`no client ${clientId} in ${realm}`)
    const full = await this.json<{ attributes?: Record<string, string> }>(`/realms/${realm}/clients/${client.id}`)
    const previous = Object.fromEntries(Object.keys(attributes).map((k) => [k, full.attributes?.[k] ?? '']))
    await this.call('PUT', `/realms/${realm}/clients/${client.id}`, { ...full, attributes: { ...full.attributes, ...attributes } })
    return previous
  }

  /** A refresh-token grant; throws with Keycloak's answer when refused. */
  refreshGrant(realm: string, clientId: string, secret: string, refreshToken: string): Promise<TokenSet> {
    return form(this.tokenEndpoint(realm), { grant_type: 'refresh_token', client_id: clientId, client_secret: secret, refresh_token: refreshToken })
  }

  /** Adds an rsa-generated key provider that outranks every existing one: Keycloak signs with it from now on. */
  async rotateSigningKey(realm: string, name: string): Promise<string> {
    const keys = await this.json<{ active: Record<string, string>; keys: { kid: string; providerPriority: number; algorithm: string }[] }>(
      `/realms/${realm}/keys`,
    )
    const top = Math.max(0, ...keys.keys.map((k) => Number(k.providerPriority) || 0))
    const realmId = (await this.json<{ id: string }>(`/realms/${realm}`)).id
    await this.call('POST', `/realms/${realm}/components`, {
      name,
      providerId: 'rsa-generated',
      providerType: 'org.keycloak.keys.KeyProvider',
      parentId: realmId,
      config: { priority: [String(top + 100)], keySize: ['2048'], active: ['true'], enabled: ['true'], algorithm: ['RS256'] },
    })
    const after = await this.json<{ active: Record<string, string> }>(`/realms/${realm}/keys`)
    const kid = after.active.RS256
    if (!kid || kid === keys.active.RS256) throw new Error(`key rotation in ${realm} did not change the active RS256 key`)
    return kid
  }
}

/** A realm JSON of this folder with the `gatehouse` client's redirect and post-logout URLs set for this run. */
export function realmJson(repoRoot: string, file: string, gatehouse?: { redirectUris: string[]; postLogoutRedirectUris: string[] }): unknown {
  const realm = JSON.parse(readFileSync(join(repoRoot, 'test', 'keycloak', file), 'utf8')) as {
    clients: { clientId: string; redirectUris?: string[]; attributes?: Record<string, string> }[]
  }
  if (gatehouse) {
    const client = realm.clients.find((c) => c.clientId === 'gatehouse')
    if (!client) throw new Error(`${file}: no gatehouse client`)
    client.redirectUris = gatehouse.redirectUris
    // Keycloak keeps several post-logout URIs in one attribute, separated by "##".
    client.attributes = { ...client.attributes, 'post.logout.redirect.uris': gatehouse.postLogoutRedirectUris.join('##') }
  }
  return realm
}
