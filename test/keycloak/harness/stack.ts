/**
 * The Keycloak suite's stack, built from the e2e harness's parts: one real Keycloak, one echo app, and two
 * Gatehouses in front of it, one in upstream mode and one behind the nginx example, plus headless Chromium.
 *
 *   browser --http://app.example.test:UP-------------------------> Gatehouse (upstream mode) --> echo app
 *   browser --https://app.example.test:NGINX--> nginx (example) --> echo app
 *                                                 \--auth_request--> Gatehouse (behind nginx)
 *   browser, both Gatehouses --> Keycloak http://127.0.0.1:KC/realms/gatehouse
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { startEchoApp, type EchoApp } from '../../e2e/harness/echo-app.js'
import { startGatehouse, type RunningGatehouse } from '../../e2e/harness/gatehouse.js'
import { freePorts } from '../../e2e/harness/net.js'
import { requireBinary, startProxy, type RunningProxy } from '../../e2e/harness/proxies.js'
import { APP_HOST, CHROMIUM, COOKIE_DOMAIN, REPO_ROOT, launchBrowser } from '../../e2e/harness/stack.js'
import { keycloakHome, realmJson, startKeycloak, type RunningKeycloak } from './keycloak.js'

export const ARTIFACTS = join(REPO_ROOT, 'artifacts', 'keycloak')
export const REALM = 'gatehouse'
export const OTHER_REALM = 'elsewhere'
export const CLIENT_SECRET = 'gatehouse-ci-secret'
export type Mode = 'upstream' | 'nginx'
/**
 * `session.refresh` of both Gatehouses: short, so the session scenarios (admin logout, rotation, Keycloak down)
 * see a revalidation within seconds.
 */
export const SESSION_REFRESH_S = 5

/** Paths guarded by one rule each: a group, a realm role, a client role (alice holds all three, bob none). */
export const RULES = [
  { name: 'sign-out landing page', paths: ['/signed-out'], allow: 'public' },
  { name: 'group sre', paths: ['/sre-only'], require: { groups: ['sre'] } },
  { name: 'realm role admin', paths: ['/admins'], require: { roles: ['admin'] } },
  { name: 'client role gatehouse:operator', paths: ['/operators'], require: { roles: ['gatehouse:operator'] } },
]

export interface Front {
  mode: Mode
  /** What the browser opens; also Gatehouse's publicUrl. */
  origin: string
  gatehouse: RunningGatehouse
  proxy?: RunningProxy
  /** Gatehouse's own /metrics listener. */
  metrics: string
}

export interface KeycloakStack {
  keycloak: RunningKeycloak
  issuer: string
  app: EchoApp
  browser: Browser
  fronts: Record<Mode, Front>
  logDir: string
  stop(): Promise<void>
}

export async function startKeycloakStack(): Promise<KeycloakStack> {
  const home = keycloakHome(REPO_ROOT)
  requireBinary('nginx', REPO_ROOT)
  readFileSync(CHROMIUM) // fails clearly when Chromium is missing
  rmSync(ARTIFACTS, { recursive: true, force: true })
  const logDir = join(ARTIFACTS, 'logs')
  mkdirSync(logDir, { recursive: true })
  const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-keycloak-'))
  const stoppers: { name: string; stop: () => Promise<void> }[] = []
  const stop = async () => {
    for (const s of stoppers.reverse()) await s.stop().catch((err) => console.error(`stopping ${s.name}: ${(err as Error).message}`))
    stoppers.length = 0
    rmSync(workDir, { recursive: true, force: true })
  }

  try {
    const [kcPort, kcManagement, upPort, nginxPort, sparePort, ghNginxPort, upMetrics, ghNginxMetrics] = await freePorts(8)
    const origins: Record<Mode, string> = {
      upstream: `http://${APP_HOST}:${upPort}`,
      nginx: `https://${APP_HOST}:${nginxPort}`,
    }

    const dataDir = join(workDir, 'keycloak')
    mkdirSync(dataDir)
    const keycloak = await startKeycloak({ home, port: kcPort!, managementPort: kcManagement!, dataDir, logDir })
    stoppers.push({ name: 'keycloak', stop: () => keycloak.stop() })
    const both = Object.values(origins)
    await keycloak.admin.createRealm(
      realmJson(REPO_ROOT, 'realm.json', {
        redirectUris: both.map((o) => `${o}/oauth2/callback`),
        postLogoutRedirectUris: both.map((o) => `${o}/oauth2/signed_out`),
      }),
    )
    await keycloak.admin.createRealm(realmJson(REPO_ROOT, 'realm-elsewhere.json'))
    const issuer = keycloak.issuer(REALM)

    const app = await startEchoApp()
    stoppers.push({ name: 'echo app', stop: () => app.close() })

    const gatehouseFor = async (mode: Mode, port: number, metricsPort: number) => {
      const dir = join(workDir, mode)
      mkdirSync(dir)
      const gh = await startGatehouse({
        port,
        publicUrl: origins[mode],
        issuer,
        clientSecret: CLIENT_SECRET,
        cookieDomain: COOKIE_DOMAIN,
        workDir: dir,
        logDir: join(logDir, mode),
        repoRoot: REPO_ROOT,
        rules: RULES,
        overrides: {
          headers: { roles: true, passAccessToken: true },
          session: { refresh: `${SESSION_REFRESH_S}s` },
          metrics: { listen: `127.0.0.1:${metricsPort}` },
          ...(mode === 'upstream' ? { upstream: `http://127.0.0.1:${app.port}` } : {}),
        },
      })
      if (gh.rulesError) throw new Error(`Gatehouse refused the rules block: ${gh.rulesError}`)
      stoppers.push({ name: `gatehouse (${mode})`, stop: () => gh.proc.stop() })
      return gh
    }

    const upstream = await gatehouseFor('upstream', upPort!, upMetrics!)
    const behindNginx = await gatehouseFor('nginx', ghNginxPort!, ghNginxMetrics!)
    const proxy = await startProxy({
      kind: 'nginx',
      port: nginxPort!,
      spareport: sparePort!,
      appHost: APP_HOST,
      gatehousePort: ghNginxPort!,
      appPort: app.port,
      workDir,
      logDir: join(logDir, 'nginx'),
      repoRoot: REPO_ROOT,
    })
    stoppers.push({ name: 'nginx', stop: () => proxy.proc.stop() })

    const browser = await launchBrowser()
    stoppers.push({ name: 'chromium', stop: () => browser.close() })

    return {
      keycloak,
      issuer,
      app,
      browser,
      fronts: {
        upstream: { mode: 'upstream', origin: origins.upstream, gatehouse: upstream, metrics: `http://127.0.0.1:${upMetrics}` },
        nginx: { mode: 'nginx', origin: origins.nginx, gatehouse: behindNginx, proxy, metrics: `http://127.0.0.1:${ghNginxMetrics}` },
      },
      logDir,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
