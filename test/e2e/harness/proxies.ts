/**
 * The three proxies, each started from the repository's example config with only host names, ports (and for
 * nginx the certificate paths) replaced. A missing binary is an error, never a skip.
 */
import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { fetchLoopback } from './net.js'
import { startProcess, waitFor, type Managed } from './proc.js'

export type ProxyKind = 'nginx' | 'caddy' | 'traefik'

export interface ProxyParams {
  kind: ProxyKind
  /** Where the proxy listens (the origin browsers use). */
  port: number
  /** A second port for listeners the example also declares (HTTP -> HTTPS redirect). */
  spareport: number
  /** Application host name replacing app.example.com. */
  appHost: string
  gatehousePort: number
  appPort: number
  workDir: string
  logDir: string
  repoRoot: string
  /** Names the work dir and log when several instances of one proxy run; default: kind. */
  name?: string
  /**
   * nginx only: 'slash' rewrites the example's `proxy_pass http://gatehouse_app;` to the URI form
   * (`http://gatehouse_app/;`, `/admin/` likewise), with which nginx sends the app its own normalised path.
   */
  nginxProxyPass?: 'as-is' | 'slash'
  /** Caddy only: the app is a FastCGI responder on this port (`reverse_proxy` with `transport fastcgi`). */
  caddyFastcgiPort?: number
}

export interface RunningProxy {
  name: string
  kind: ProxyKind
  scheme: 'http' | 'https'
  origin: string
  proc: Managed
  configFiles: string[]
}

export const NGINX_BIN = '/usr/sbin/nginx'
export const CADDY_BIN = '/usr/bin/caddy'

/** Scheme each proxy's example serves: nginx and Traefik terminate TLS, the Caddy test runs on plain HTTP. */
export const PROXY_SCHEME: Record<ProxyKind, 'http' | 'https'> = { nginx: 'https', caddy: 'http', traefik: 'https' }

export function traefikBinary(repoRoot: string): string {
  if (process.env.TRAEFIK_BIN) return process.env.TRAEFIK_BIN
  const tools = process.env.GATEHOUSE_TOOLS ?? join(homedir(), '.cache', 'gatehouse-tools')
  const script = readFileSync(join(repoRoot, 'scripts', 'build-traefik.sh'), 'utf8')
  const version = /TRAEFIK_VERSION="\$\{TRAEFIK_VERSION:-(v[^}]+)\}"/.exec(script)?.[1]
  if (!version) throw new Error('cannot read the default TRAEFIK_VERSION from scripts/build-traefik.sh')
  return join(tools, `traefik-${process.env.TRAEFIK_VERSION ?? version}`, 'traefik')
}

export function requireBinary(kind: ProxyKind, repoRoot: string): string {
  const bin = kind === 'nginx' ? NGINX_BIN : kind === 'caddy' ? CADDY_BIN : traefikBinary(repoRoot)
  try {
    accessSync(bin, constants.X_OK)
  } catch {
    const hint =
      kind === 'traefik'
        ? 'run scripts/build-traefik.sh (or set TRAEFIK_BIN)'
        : `apt-get install ${kind === 'nginx' ? 'nginx-light' : 'caddy'}`
    throw new Error(`${kind} binary not found at ${bin}: ${hint}. The e2e suite needs every proxy; it never skips.`)
  }
  return bin
}

/** Replaces every occurrence and insists that each pattern was present (the example changed otherwise). */
function replaceAll(text: string, pairs: [string | RegExp, string][], file: string): string {
  let out = text
  for (const [from, to] of pairs) {
    const before = out
    out = typeof from === 'string' ? out.split(from).join(to) : out.replace(from, to)
    if (out === before) throw new Error(`${file}: expected to find ${String(from)} to template it`)
  }
  return out
}

function selfSignedCert(dir: string, host: string): { cert: string; key: string } {
  const cert = join(dir, `${host}.pem`)
  const key = join(dir, `${host}.key`)
  if (!existsSync(cert)) {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${host}`,
        '-addext', `subjectAltName=DNS:${host}`, '-keyout', key, '-out', cert],
      { stdio: 'ignore' },
    )
  }
  return { cert, key }
}

async function waitUntilRouted(proc: Managed, origin: string): Promise<void> {
  // Gatehouse's sign-in route answers through every example's /oauth2/ route with a redirect; before the
  // proxy has loaded its routes it answers 404/502 or refuses the connection.
  await waitFor(
    proc,
    `${proc.name} routing ${origin}/oauth2/sign_in to Gatehouse`,
    async () => {
      const res = await fetchLoopback(`${origin}/oauth2/sign_in`, { headers: { Host: new URL(origin).host } })
      return res.status >= 300 && res.status < 400 && String(res.headers.location ?? '').length > 0
    },
    30_000,
  )
}

export async function startProxy(p: ProxyParams): Promise<RunningProxy> {
  const bin = requireBinary(p.kind, p.repoRoot)
  const scheme = PROXY_SCHEME[p.kind]
  const origin = `${scheme}://${p.appHost}:${p.port}`
  const name = p.name ?? p.kind
  const dir = join(p.workDir, name)
  mkdirSync(dir, { recursive: true })
  const ex = (...parts: string[]) => join(p.repoRoot, 'examples', ...parts)
  const gh = `127.0.0.1:${p.gatehousePort}`
  const app = `127.0.0.1:${p.appPort}`

  if (p.kind === 'nginx') {
    const { cert, key } = selfSignedCert(dir, p.appHost)
    let site = replaceAll(
      readFileSync(ex('nginx', 'gatehouse.conf'), 'utf8'),
      [
        ['gatehouse:4180', gh],
        ['app:8080', app],
        ['app.example.com', p.appHost],
        [/^(\s*)listen 443 ssl( default_server)?;/gm, `$1listen 127.0.0.1:${p.port} ssl$2;`],
        [/^(\s*)listen 80( default_server)?;/gm, `$1listen 127.0.0.1:${p.spareport}$2;`],
        [`/etc/ssl/certs/${p.appHost}.pem`, cert],
        [`/etc/ssl/private/${p.appHost}.key`, key],
      ],
      'examples/nginx/gatehouse.conf',
    )
    if (p.nginxProxyPass === 'slash') {
      site = replaceAll(
        site,
        [
          [/(location \/admin\/ \{[^}]*proxy_pass http:\/\/gatehouse_app);/, '$1/admin/;'],
          [/(location \/ \{[^}]*proxy_pass http:\/\/gatehouse_app);/, '$1/;'],
        ],
        'examples/nginx/gatehouse.conf (proxy_pass with URI)',
      )
    }
    const siteFile = join(dir, 'gatehouse.conf')
    writeFileSync(siteFile, site)
    for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'tmp', t), { recursive: true })
    // The test's own nginx.conf: what a distribution's main file provides, plus paths inside the work dir.
    const main = `# generated by test/e2e/harness/proxies.ts
user root;
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} info;
events { worker_connections 256; }
http {
    access_log ${join(dir, 'access.log')};
    client_body_temp_path ${join(dir, 'tmp', 'body')};
    proxy_temp_path ${join(dir, 'tmp', 'proxy')};
    fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
    scgi_temp_path ${join(dir, 'tmp', 'scgi')};
    default_type application/octet-stream;
    include ${siteFile};
}
`
    const mainFile = join(dir, 'nginx.conf')
    writeFileSync(mainFile, main)
    execFileSync(bin, ['-t', '-q', '-e', 'stderr', '-p', dir + '/', '-c', mainFile], { stdio: 'pipe' })
    const proc = startProcess({
      name: 'nginx',
      command: bin,
      args: ['-e', 'stderr', '-p', dir + '/', '-c', mainFile],
      logFile: join(p.logDir, `${name}.log`),
    })
    await waitUntilRouted(proc, origin)
    return { name, kind: 'nginx', scheme, origin, proc, configFiles: [mainFile, siteFile] }
  }

  if (p.kind === 'caddy') {
    let site = replaceAll(
      readFileSync(ex('caddy', 'Caddyfile'), 'utf8'),
      [
        ['gatehouse:4180', gh],
        ['app:8080', app],
        [/^app\.example\.com \{/m, `${origin} {`],
      ],
      'examples/caddy/Caddyfile',
    )
    if (p.caddyFastcgiPort) {
      site = replaceAll(
        site,
        [[`reverse_proxy ${app}\n`, `reverse_proxy 127.0.0.1:${p.caddyFastcgiPort} {\n\t\t\ttransport fastcgi {\n\t\t\t\troot ${dir}\n\t\t\t}\n\t\t}\n`]],
        'examples/caddy/Caddyfile (FastCGI backend)',
      )
    }
    // Global options for a throwaway instance: no admin endpoint (parallel instances), no certificates.
    const file = join(dir, 'Caddyfile')
    writeFileSync(file, `{\n\tadmin off\n\tauto_https off\n}\n\n${site}`)
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') }
    const proc = startProcess({
      name: 'caddy',
      command: bin,
      args: ['run', '--config', file, '--adapter', 'caddyfile'],
      logFile: join(p.logDir, `${name}.log`),
      env,
      cwd: dir,
    })
    await waitUntilRouted(proc, origin)
    return { name, kind: 'caddy', scheme, origin, proc, configFiles: [file] }
  }

  // Traefik: static config from the example, entry points moved to loopback ports, file provider pointed at the
  // templated dynamic.yml.
  const dynamic = replaceAll(
    readFileSync(ex('traefik', 'dynamic.yml'), 'utf8'),
    [
      ['gatehouse:4180', gh],
      ['app:8080', app],
      ['app.example.com', p.appHost],
    ],
    'examples/traefik/dynamic.yml',
  )
  const dynamicFile = join(dir, 'dynamic.yml')
  writeFileSync(dynamicFile, dynamic)
  const staticCfg = parse(readFileSync(ex('traefik', 'traefik.yml'), 'utf8'))
  if (staticCfg.entryPoints?.websecure?.address !== ':443' || staticCfg.entryPoints?.web?.address !== ':80') {
    throw new Error('examples/traefik/traefik.yml: expected entry points web :80 and websecure :443')
  }
  staticCfg.entryPoints.websecure.address = `127.0.0.1:${p.port}`
  staticCfg.entryPoints.web.address = `127.0.0.1:${p.spareport}`
  staticCfg.providers.file.filename = dynamicFile
  staticCfg.global = { checkNewVersion: false, sendAnonymousUsage: false }
  staticCfg.log = { ...(staticCfg.log ?? {}), level: 'DEBUG' }
  const staticFile = join(dir, 'traefik.yml')
  writeFileSync(staticFile, stringify(staticCfg))
  const proc = startProcess({
    name: 'traefik',
    command: bin,
    args: [`--configFile=${staticFile}`],
    logFile: join(p.logDir, `${name}.log`),
    cwd: dir,
  })
  await waitUntilRouted(proc, origin)
  return { name, kind: 'traefik', scheme, origin, proc, configFiles: [staticFile, dynamicFile] }
}
