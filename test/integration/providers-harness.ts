/**
 * Shared by the providers-*.test.ts files: a Gatehouse on loopback with whatever providers a test
 * names, and a browser-like walk through /oauth2/sign_in → /oauth2/start → IdP → callback.
 */
import { exportPKCS8, generateKeyPair } from 'jose'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { CookieJarClient, loginAtRealm, type BrowserResponse } from '../fakes/browser.js'
import { freePort, randomSecret } from '../helpers/stack.js'

export const HTML = { accept: 'text/html' }

export interface Harness {
  gatehouse: Gatehouse
  url: string
  callbackUrl: string
  close(): Promise<void>
}

/** Starts Gatehouse on a free port; `providers(callbackUrl)` builds the provider entries. */
export async function startHarness(
  providers: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
  port?: number,
): Promise<Harness> {
  port ??= await freePort()
  const url = `http://127.0.0.1:${port}`
  const config = await buildConfig({
    server: { listen: `127.0.0.1:${port}`, publicUrl: url },
    cookie: { secret: randomSecret() },
    redirect: { allowedDomains: ['.example.test'] },
    providers,
    authorization: {},
    logging: { level: 'silent' },
    ...extra,
  })
  const gatehouse = await startGatehouse(config, { logger: createLogger('silent') })
  return { gatehouse, url, callbackUrl: `${url}/oauth2/callback`, close: () => gatehouse.close() }
}

/** Reads the start link of a provider's button off the sign-in page. */
export async function startLinkFor(browser: CookieJarClient, h: Harness, id: string): Promise<string> {
  const page = await browser.get(`${h.url}/oauth2/sign_in?rd=${encodeURIComponent('http://app.example.test/')}`, HTML)
  if (page.status !== 200) throw new Error(`sign_in answered ${page.status}`)
  const m = page.body.match(new RegExp(`<a class="button" href="([^"]+)" id="provider-${id}"`))
  if (!m) throw new Error(`no button for ${id}`)
  return m[1].replace(/&amp;/g, '&')
}

/** Follows from the start link until the answer of Gatehouse's callback (success: 302 to rd). */
export async function loginVia(
  browser: CookieJarClient,
  h: Harness,
  id: string,
  realmUser?: { username: string; password: string },
): Promise<BrowserResponse> {
  const start = await browser.get(await startLinkFor(browser, h, id), HTML)
  if (start.status !== 302) return start
  const toCallback = await reachCallback(browser, h, start, realmUser)
  const callback = await browser.get(toCallback, HTML)
  // A refused login lands on the forbidden page by a redirect (the one-time callback URL leaves the address bar).
  if (callback.location && new URL(callback.location).pathname === '/oauth2/forbidden') return browser.get(callback.location, HTML)
  return callback
}

/** Walks the IdP part and returns the callback URL the IdP redirected to, without calling it. */
export async function reachCallback(
  browser: CookieJarClient,
  h: Harness,
  start: BrowserResponse,
  realmUser?: { username: string; password: string },
): Promise<string> {
  const res = realmUser
    ? await loginAtRealm(browser, start.location!, realmUser.username, realmUser.password)
    : await browser.continueFrom(start, { stopAt: (u) => u.href.startsWith(h.callbackUrl), autoSubmit: false })
  if (!res.location?.startsWith(h.callbackUrl)) throw new Error(`IdP did not return to the callback: ${res.status} ${res.url}`)
  return res.location
}

export async function userinfo(browser: CookieJarClient, h: Harness) {
  const res = await browser.get(`${h.url}/oauth2/userinfo`)
  return { status: res.status, body: res.status === 200 ? JSON.parse(res.body) : undefined }
}

export async function idpMetric(h: Harness): Promise<string> {
  return (await h.gatehouse.metrics.registry.getSingleMetricAsString('gatehouse_idp_requests_total')) ?? ''
}

/** A throwaway service-account key (the double shape-checks the JWT-bearer assertion only). */
export async function serviceAccountKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  return { type: 'service_account', client_email: 'gatehouse@proj.iam.gserviceaccount.com', private_key: await exportPKCS8(privateKey) }
}
