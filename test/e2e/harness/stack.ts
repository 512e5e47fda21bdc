/**
 * One complete e2e stack on loopback: realm (IdP) -> echo app -> Gatehouse -> proxy, plus headless Chromium.
 * Pieces start in that order and stop in reverse; a failure part-way stops whatever already runs.
 *
 *   browser --(app.example.test:PORT, mapped to 127.0.0.1)--> proxy --> echo app
 *                                                              |  \--> Gatehouse (/oauth2/*, checks)
 *   browser --(127.0.0.1:REALM)--> realm  <--(discovery, token)-- Gatehouse
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pw from 'playwright-core'
import type { Browser } from 'playwright-core'
import { startEchoApp, type EchoApp } from './echo-app.js'
import { startGatehouse, CLIENT_ID, CLIENT_SECRET, type RunningGatehouse } from './gatehouse.js'
import { freePorts } from './net.js'
import { startProcess, waitFor } from './proc.js'
import { PROXY_SCHEME, requireBinary, startProxy, type ProxyKind, type RunningProxy } from './proxies.js'

export const REPO_ROOT = process.cwd()
export const ARTIFACTS = join(REPO_ROOT, 'artifacts', 'e2e')
export const CHROMIUM = '/usr/bin/chromium'
export const APP_HOST = 'app.example.test'
export const COOKIE_DOMAIN = '.example.test'
export const REALM = 'test'

/**
 * The `rules:` block the suite asks for: scenario 5 needs the public path; the CORS-preflight rule gives
 * scenario 10 a method rule that a forged X-Original-Method could abuse.
 */
export const RULES = [
  { name: 'public pages', paths: ['/public'], allow: 'public' },
  { name: 'CORS preflight', methods: ['OPTIONS'], allow: 'public' },
]

export interface Stack {
  kind: ProxyKind
  /** What the browser opens: scheme://app.example.test:PORT */
  appOrigin: string
  issuer: string
  realmOrigin: string
  app: EchoApp
  gatehouse: RunningGatehouse
  proxy: RunningProxy
  browser: Browser
  logDir: string
  stop(): Promise<void>
}

export async function startRealmProcess(port: number, publicUrl: string | string[], appOrigin: string, logDir: string) {
  const publicUrls = Array.isArray(publicUrl) ? publicUrl : [publicUrl]
  const opts = {
    port,
    realm: REALM,
    banner: 'Gatehouse e2e realm',
    clients: [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUris: publicUrls.map((u) => `${u}/oauth2/callback`),
        postLogoutRedirectUris: publicUrls.map((u) => `${u}/oauth2/signed_out`),
      },
    ],
  }
  const proc = startProcess({
    name: 'realm',
    command: process.execPath,
    args: ['--import', 'tsx', 'test/e2e/harness/realm-main.ts', JSON.stringify(opts)],
    cwd: REPO_ROOT,
    logFile: join(logDir, 'realm.log'),
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  let info: { issuer: string; origin: string } | undefined
  await waitFor(proc, 'realm REALM_READY', async () => {
    const m = /REALM_READY (\{.*\})/.exec(proc.tail())
    if (m) info = JSON.parse(m[1]!)
    return Boolean(info)
  }, 30_000)
  return { proc, issuer: info!.issuer, origin: info!.origin }
}

/** Headless Chromium resolving *.example.test to loopback and accepting the proxies' self-signed certificates. */
export function launchBrowser(): Promise<Browser> {
  return pw.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      `--host-resolver-rules=MAP *.example.test 127.0.0.1`,
      // nginx and Traefik serve throwaway self-signed certificates
      '--ignore-certificate-errors',
    ],
  })
}

export async function startStack(kind: ProxyKind): Promise<Stack> {
  // Fail before starting anything when a proxy or the browser is missing.
  requireBinary(kind, REPO_ROOT)
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`)
  const logDir = join(ARTIFACTS, kind, 'logs')
  rmSync(join(ARTIFACTS, kind), { recursive: true, force: true })
  mkdirSync(logDir, { recursive: true })
  const workDir = mkdtempSync(join(tmpdir(), `gatehouse-e2e-${kind}-`))

  const stoppers: { name: string; stop: () => Promise<void> }[] = []
  const stopAll = async () => {
    const errors: string[] = []
    for (const s of stoppers.reverse()) {
      try {
        await s.stop()
      } catch (err) {
        errors.push(`${s.name}: ${(err as Error).message}`)
      }
    }
    stoppers.length = 0
    rmSync(workDir, { recursive: true, force: true })
    if (errors.length) throw new Error(`teardown: ${errors.join('; ')}`)
  }

  try {
    const [proxyPort, sparePort, gatehousePort, realmPort] = await freePorts(4)
    const scheme = PROXY_SCHEME[kind]
    const appOrigin = `${scheme}://${APP_HOST}:${proxyPort}`
    // Gatehouse's public URL is the application's host: its /oauth2/ routes go through the proxy too.
    const publicUrl = appOrigin

    const realm = await startRealmProcess(realmPort!, publicUrl, appOrigin, logDir)
    stoppers.push({ name: 'realm', stop: () => realm.proc.stop() })

    const app = await startEchoApp()
    stoppers.push({ name: 'echo app', stop: () => app.close() })

    const gatehouse = await startGatehouse({
      port: gatehousePort!,
      publicUrl,
      issuer: realm.issuer,
      cookieDomain: COOKIE_DOMAIN,
      workDir,
      logDir,
      repoRoot: REPO_ROOT,
      rules: RULES,
    })
    stoppers.push({ name: 'gatehouse', stop: () => gatehouse.proc.stop() })

    const proxy = await startProxy({
      kind,
      port: proxyPort!,
      spareport: sparePort!,
      appHost: APP_HOST,
      gatehousePort: gatehousePort!,
      appPort: app.port,
      workDir,
      logDir,
      repoRoot: REPO_ROOT,
    })
    stoppers.push({ name: kind, stop: () => proxy.proc.stop() })

    const browser = await launchBrowser()
    stoppers.push({ name: 'chromium', stop: () => browser.close() })

    return {
      kind,
      appOrigin,
      issuer: realm.issuer,
      realmOrigin: realm.origin,
      app,
      gatehouse,
      proxy,
      browser,
      logDir,
      stop: stopAll,
    }
  } catch (err) {
    await stopAll().catch(() => undefined)
    throw err
  }
}
