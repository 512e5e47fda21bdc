/**
 * Several proxies at once in front of one Gatehouse and one echo app (plus, optionally, Gatehouse in upstream
 * mode and a FastCGI responder behind Caddy), for the request-level tests: the differential suite and the
 * identity-spoofing suite. Two users log in once through a real browser; their session cookies are then sent by
 * plain HTTP clients. Every proxy runs from its example file with only hosts and ports templated (plus the
 * documented variants in proxies.ts: nginx's `proxy_pass` with URI, Caddy's FastCGI backend).
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { startEchoApp, type EchoApp } from './echo-app.js'
import { startFastcgiApp, type FastcgiApp } from './fastcgi.js'
import { COOKIE_NAME, startGatehouse, type RunningGatehouse } from './gatehouse.js'
import { freePorts } from './net.js'
import { requireBinary, startProxy, type ProxyKind, type RunningProxy } from './proxies.js'
import { APP_HOST, ARTIFACTS, COOKIE_DOMAIN, launchBrowser, REPO_ROOT, startRealmProcess } from './stack.js'

export interface ProxySpec {
  name: string
  kind: ProxyKind
  nginxProxyPass?: 'as-is' | 'slash'
  fastcgi?: boolean
}

export interface Target {
  name: string
  /** 'proxy' behind a proxy example; 'upstream' is Gatehouse in upstream mode, reached directly. */
  via: 'proxy' | 'upstream'
  scheme: 'http' | 'https'
  port: number
  origin: string
}

export interface Fleet {
  targets: Target[]
  app: EchoApp
  fastcgi?: FastcgiApp
  gatehouse: RunningGatehouse
  upstream?: RunningGatehouse
  /** Cookie header value of each logged-in user. */
  cookies: Record<string, string>
  /** The `sub` Gatehouse sends as X-Auth-Request-User for each logged-in user. */
  subjects: Record<string, string>
  logDir: string
  stop(): Promise<void>
}

export interface FleetOptions {
  label: string
  proxies: ProxySpec[]
  rules: unknown[]
  upstream?: boolean
  users: string[]
  optionalServer?: Record<string, unknown>
}

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  for (const p of o.proxies) requireBinary(p.kind, REPO_ROOT)
  const logDir = join(ARTIFACTS, o.label, 'logs')
  rmSync(join(ARTIFACTS, o.label), { recursive: true, force: true })
  mkdirSync(logDir, { recursive: true })
  const workDir = mkdtempSync(join(tmpdir(), `gatehouse-e2e-${o.label}-`))
  const stoppers: { name: string; stop: () => Promise<void> }[] = []
  const stop = async () => {
    const errors: string[] = []
    for (const s of stoppers.reverse()) await s.stop().catch((e: Error) => errors.push(`${s.name}: ${e.message}`))
    stoppers.length = 0
    rmSync(workDir, { recursive: true, force: true })
    if (errors.length) throw new Error(`teardown: ${errors.join('; ')}`)
  }
  try {
    const ports = await freePorts(2 * o.proxies.length + 3)
    const [gatehousePort, upstreamPort, realmPort] = ports.splice(0, 3) as [number, number, number]
    // The first proxy carries the browser logins: Gatehouse's publicUrl is its origin.
    const scheme = (k: ProxyKind) => (k === 'caddy' ? 'http' : 'https')
    const origins = o.proxies.map((p, i) => `${scheme(p.kind)}://${APP_HOST}:${ports[2 * i]}`)
    const upstreamOrigin = `http://${APP_HOST}:${upstreamPort}`
    const realm = await startRealmProcess(realmPort, [origins[0]!, upstreamOrigin], origins[0]!, logDir)
    stoppers.push({ name: 'realm', stop: () => realm.proc.stop() })
    const app = await startEchoApp()
    stoppers.push({ name: 'echo app', stop: () => app.close() })
    let fastcgi: FastcgiApp | undefined
    if (o.proxies.some((p) => p.fastcgi)) {
      fastcgi = await startFastcgiApp()
      stoppers.push({ name: 'fastcgi', stop: () => fastcgi!.close() })
    }
    const cookieSecret = randomBytes(32).toString('base64url')
    const common = { issuer: realm.issuer, cookieDomain: COOKIE_DOMAIN, workDir, logDir, repoRoot: REPO_ROOT, rules: o.rules, cookieSecret, optionalServer: o.optionalServer }
    const gatehouse = await startGatehouse({ ...common, port: gatehousePort, publicUrl: origins[0]! })
    stoppers.push({ name: 'gatehouse', stop: () => gatehouse.proc.stop() })
    let upstream: RunningGatehouse | undefined
    if (o.upstream) {
      // Upstream mode faces clients directly: no peer is a trusted proxy.
      upstream = await startGatehouse({ ...common, name: 'gatehouse-upstream', port: upstreamPort, publicUrl: upstreamOrigin, upstream: `http://127.0.0.1:${app.port}`, trustedProxies: [] })
      stoppers.push({ name: 'gatehouse-upstream', stop: () => upstream!.proc.stop() })
    }
    const targets: Target[] = []
    for (const [i, p] of o.proxies.entries()) {
      const proxy: RunningProxy = await startProxy({
        kind: p.kind,
        name: p.name,
        port: ports[2 * i]!,
        spareport: ports[2 * i + 1]!,
        appHost: APP_HOST,
        gatehousePort,
        appPort: app.port,
        workDir,
        logDir,
        repoRoot: REPO_ROOT,
        nginxProxyPass: p.nginxProxyPass,
        caddyFastcgiPort: p.fastcgi ? fastcgi!.port : undefined,
      })
      stoppers.push({ name: p.name, stop: () => proxy.proc.stop() })
      targets.push({ name: p.name, via: 'proxy', scheme: proxy.scheme, port: ports[2 * i]!, origin: proxy.origin })
    }
    if (upstream) targets.push({ name: 'upstream', via: 'upstream', scheme: 'http', port: upstreamPort, origin: upstreamOrigin })

    const { cookies, subjects } = await logIn(origins[0]!, realm.origin, o.users, app)
    return { targets, app, fastcgi, gatehouse, upstream, cookies, subjects, logDir, stop }
  } catch (err) {
    await stop().catch(() => undefined)
    throw err
  }
}

/** Each user logs in once in a fresh browser context; returns the Gatehouse cookies as a Cookie header. */
async function logIn(origin: string, realmOrigin: string, users: string[], app: EchoApp) {
  const cookies: Record<string, string> = {}
  const subjects: Record<string, string> = {}
  if (users.length === 0) return { cookies, subjects }
  const browser = await launchBrowser()
  try {
    for (const user of users) {
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true })
      ctx.setDefaultTimeout(20_000)
      const page = await ctx.newPage()
      const url = `${origin}/whoami-${user}`
      await page.goto(url)
      await page.waitForSelector('#username')
      if (new URL(page.url()).origin !== realmOrigin) throw new Error(`login for ${user}: not on the realm (${page.url()})`)
      await page.fill('#username', user)
      await page.fill('#password', user)
      await Promise.all([page.waitForURL((u) => u.href === url, { waitUntil: 'load' }), page.click('#kc-login')])
      const jar = (await ctx.cookies()).filter((c) => c.name.startsWith(COOKIE_NAME))
      if (jar.length === 0) throw new Error(`login for ${user}: no ${COOKIE_NAME} cookie`)
      cookies[user] = jar.map((c) => `${c.name}=${c.value}`).join('; ')
      const seen = [...app.seen].reverse().find((r) => r.url === `/whoami-${user}`)
      subjects[user] = String(seen?.headers['x-auth-request-user'] ?? '')
      if (!subjects[user]) throw new Error(`login for ${user}: the app saw no X-Auth-Request-User`)
      await ctx.close()
    }
  } finally {
    await browser.close()
  }
  return { cookies, subjects }
}

const agents = new Map<string, HttpAgent>()

/**
 * One request with the target written exactly as given (origin-form or absolute-form) over a keep-alive
 * connection; Node's client puts `path` into the request line byte for byte (latin1), which the differential
 * test checks against the echo app first. Host and TLS SNI are independent.
 */
export function send(t: Target, path: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<Reply> {
  let agent = agents.get(t.origin)
  if (!agent) {
    agent = t.scheme === 'https' ? new HttpsAgent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }) : new HttpAgent({ keepAlive: true, maxSockets: 16 })
    agents.set(t.origin, agent)
  }
  const doRequest = t.scheme === 'https' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = doRequest(
      { host: '127.0.0.1', port: t.port, path, method: 'GET', headers, agent, servername: APP_HOST, rejectUnauthorized: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: '' })
    })
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${t.name} ${path}`)))
    req.on('error', reject)
    req.end()
  })
}

export function closeAgents(): void {
  for (const a of agents.values()) a.destroy()
  agents.clear()
}

/**
 * A request written byte for byte (for header tricks Node's client would not send: repeated names, a
 * Connection list naming other headers). Connection: close is the caller's business; reads until the peer closes.
 */
export function sendRaw(t: Target, head: string, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket =
      t.scheme === 'https'
        ? tlsConnect({ host: '127.0.0.1', port: t.port, servername: APP_HOST, rejectUnauthorized: false })
        : netConnect({ host: '127.0.0.1', port: t.port })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(new Error(`timeout after ${timeoutMs} ms: ${t.name}`)), timeoutMs)
    socket.once(t.scheme === 'https' ? 'secureConnect' : 'connect', () => socket.write(head, 'latin1'))
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const [top = '', ...rest] = text.split('\r\n\r\n')
      const lines = top.split('\r\n')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0)
      const headers: IncomingHttpHeaders = {}
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':')
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim()
      }
      resolve({ status, headers, body: rest.join('\r\n\r\n') })
    })
  })
}
