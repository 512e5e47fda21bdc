/**
 * Gatehouse's own pages in headless Chromium: sign-out that always completes at the IdP and goes on
 * to an unregistered `rd`, the signed-out page, the forbidden page (after a refused login and after
 * a refused navigation in upstream mode), "Use another account", and branding.
 *
 * Every page is shot light, dark and 320 px wide, plain and branded, into artifacts/screenshots/
 * (CI keeps artifacts/). Each shot is also checked: no horizontal overflow, no CSP violation, no
 * request to another origin, readable text contrast, and dark mode really dark.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { freePort, randomSecret } from '../helpers/stack.js'

const SHOTS = join(process.cwd(), 'artifacts', 'screenshots')
const WORK = mkdtempSync(join(tmpdir(), 'gatehouse-pages-'))
const SECRET = 'gatehouse-secret'

/** An SVG that would run a script if it were ever treated as a document with scripts allowed. */
const LOGO_SVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="92" height="32" viewBox="0 0 92 32">
<script>alert('logo script ran')</script>
<rect width="32" height="32" rx="6" fill="#0a7d4f"/><path d="M8 22 L16 8 L24 22 Z" fill="#fff"/>
<text x="40" y="22" font-family="sans-serif" font-size="16" fill="#0a7d4f">ACME</text>
</svg>
`

interface Instance {
  name: 'plain' | 'branded'
  url: string
  gh: Gatehouse
}

let realm: Realm
let app: Server
let browser: Browser
const instances: Partial<Record<Instance['name'], Instance>> = {}
const gh = (name: Instance['name']): Instance => instances[name]!

async function startInstance(name: Instance['name'], port: number, appPort: number): Promise<Instance> {
  const url = `http://localhost:${port}`
  const ui = name === 'branded' ? { title: 'ACME Corp', logo: join(WORK, 'logo.svg'), footer: 'ACME internal tools · <b>not HTML</b> · help: it@acme.test', accent: '#0a7d4f' } : undefined
  const provider = { issuer: realm.issuer, clientId: 'gatehouse', clientSecret: SECRET, allowInsecureRequests: true }
  const gh = await startGatehouse(
    await buildConfig({
      server: { listen: `127.0.0.1:${port}`, publicUrl: url },
      // Both instances are on localhost: cookies ignore ports, so the names must differ.
      cookie: { secret: randomSecret(), name: `gh_${name}` },
      upstream: `http://127.0.0.1:${appPort}`,
      providers: [
        // bob (staff, not sre) is refused at login through corp, and let in through partner.
        { id: 'corp', type: 'keycloak', ...provider, authorization: { groups: ['sre'] } },
        { id: 'partner', type: 'oidc', displayName: 'Partner SSO', ...provider },
      ],
      authorization: {},
      rules: [
        { name: 'admin', paths: ['/admin'], require: { groups: ['sre'] } },
        { name: 'goodbye page', paths: ['/goodbye'], allow: 'public' },
      ],
      logging: { level: 'silent' },
      ...(ui ? { ui } : {}),
    }),
    { logger: createLogger('silent') },
  )
  return { name, url, gh }
}

beforeAll(async () => {
  rmSync(SHOTS, { recursive: true, force: true })
  mkdirSync(SHOTS, { recursive: true })
  writeFileSync(join(WORK, 'logo.svg'), LOGO_SVG)
  const [plainPort, brandedPort, appPort] = [await freePort(), await freePort(), await freePort()]
  const origins = [plainPort, brandedPort].map((p) => `http://localhost:${p}`)
  realm = await startRealm({
    users: DEMO_USERS,
    clients: [
      {
        clientId: 'gatehouse',
        clientSecret: SECRET,
        redirectUris: origins.map((o) => `${o}/oauth2/callback`),
        // The only post-logout URI registered: the signed-out page. No rd is ever registered.
        postLogoutRedirectUris: origins.map((o) => `${o}/oauth2/signed_out`),
      },
    ],
  })
  app = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><title>app</title><h1 id="app">app ${req.url?.replace(/[<>&"]/g, '') ?? ''}</h1><p id="user">${String(req.headers['x-auth-request-email'] ?? '').replace(/[<>&"]/g, '')}</p>`)
  })
  await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve))
  instances.plain = await startInstance('plain', plainPort!, appPort!)
  instances.branded = await startInstance('branded', brandedPort!, appPort!)
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  for (const i of Object.values(instances)) await i?.gh.close()
  await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)))
  await realm?.close()
  rmSync(WORK, { recursive: true, force: true })
})

/** A fresh browser context with a log of every request URL and every dialog (a script that ran). */
async function newPage(): Promise<{ context: BrowserContext; page: Page; requests: string[]; dialogs: string[] }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  const requests: string[] = []
  const dialogs: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  return { context, page, requests, dialogs }
}

async function logIn(page: Page, user: 'alice' | 'bob'): Promise<void> {
  await page.waitForSelector('#username')
  await page.fill('#username', user)
  await page.fill('#password', user)
  await Promise.all([page.waitForURL((u) => u.origin !== realm.origin), page.click('#kc-login')])
}

describe('sign-out', () => {
  it('with an rd the IdP never heard of: the IdP session really ends, and the browser ends on rd', async () => {
    const { url } = gh('plain')
    const { context, page, requests } = await newPage()
    await page.goto(`${url}/oauth2/start?provider=partner&rd=${encodeURIComponent('/hello')}`)
    await logIn(page, 'alice')
    expect(page.url()).toBe(`${url}/hello`)
    expect(await page.textContent('#user')).toBe('alice@example.com')

    const rd = `${url}/goodbye?from=${Date.now()}`
    await page.goto(`${url}/oauth2/sign_out?rd=${encodeURIComponent(rd)}`)
    await page.waitForURL(rd)
    const logout = requests.map((r) => new URL(r)).find((u) => u.origin === realm.origin && u.pathname.includes('logout'))!
    expect(logout.searchParams.get('post_logout_redirect_uri')).toBe(`${url}/oauth2/signed_out`)
    expect(logout.searchParams.get('id_token_hint')).toBeTruthy()
    expect(logout.searchParams.get('state')).toBeTruthy()
    expect(logout.href).not.toContain('goodbye')
    expect(await page.textContent('#app')).toContain('/goodbye')
    expect(await page.textContent('#user')).toBe('')
    // The IdP session is gone too: a new login asks for the password instead of passing silently.
    await page.goto(`${url}/oauth2/start?provider=partner&rd=${encodeURIComponent('/again')}`)
    await page.waitForSelector('#password')
    expect(new URL(page.url()).origin).toBe(realm.origin)
    await context.close()
  })

  it('without an rd ends on the signed-out page, whose button signs in again', async () => {
    const { url } = gh('plain')
    const { context, page } = await newPage()
    await page.goto(`${url}/oauth2/start?provider=partner&rd=${encodeURIComponent('/hello')}`)
    await logIn(page, 'alice')
    await page.goto(`${url}/oauth2/sign_out`)
    await page.waitForURL(`${url}/oauth2/signed_out`)
    expect(await page.textContent('h1')).toBe('You are signed out')
    // Two providers: the button leads to the picker.
    await Promise.all([page.waitForURL((u) => u.pathname === '/oauth2/sign_in'), page.click('#sign-in')])
    await Promise.all([page.waitForURL((u) => u.origin === realm.origin), page.click('#provider-partner')])
    await page.waitForSelector('#password')
    await context.close()
  })

  it('a forged or expired state on the signed-out page never redirects', async () => {
    const { url } = gh('plain')
    for (const state of ['x', '1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'https://evil.test/']) {
      const res = await fetch(`${url}/oauth2/signed_out?state=${encodeURIComponent(state)}`, { redirect: 'manual' })
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('You are signed out')
    }
  })
})

describe('forbidden page', () => {
  it('after a refused login: reached by a redirect, names the account, survives a reload; "Use another account" signs in again', async () => {
    const { url } = gh('plain')
    const { context, page, requests } = await newPage()
    await page.goto(`${url}/oauth2/start?provider=corp&rd=${encodeURIComponent('/hello')}`)
    await logIn(page, 'bob')
    await page.waitForURL(`${url}/oauth2/forbidden`)
    expect(page.url()).not.toContain('code=')
    expect(await page.textContent('h1')).toBe('Access denied')
    expect(await page.textContent('#who')).toBe('bob@example.com')
    const reloaded = await page.reload()
    expect(reloaded?.status()).toBe(403)
    expect(await page.textContent('#who')).toBe('bob@example.com')
    expect(await page.textContent('body')).not.toContain('expired')

    await Promise.all([page.waitForURL((u) => u.origin === realm.origin), page.click('#switch-account')])
    await page.waitForSelector('#password')
    const urls = requests.map((r) => new URL(r))
    // The IdP session was ended first (with the ID token of the refused login), then a new login asks for the form.
    const logout = urls.find((u) => u.origin === realm.origin && u.pathname.includes('logout'))!
    expect(logout.searchParams.get('id_token_hint')).toBeTruthy()
    expect(logout.searchParams.get('post_logout_redirect_uri')).toBe(`${url}/oauth2/signed_out`)
    const auth = urls.filter((u) => u.origin === realm.origin && u.searchParams.has('code_challenge')).pop()!
    expect(auth.searchParams.get('prompt')).toBe('login')
    await logIn(page, 'alice')
    await page.waitForURL(`${url}/hello`)
    expect(await page.textContent('#user')).toBe('alice@example.com')
    await context.close()
  })

  it('a refused navigation in upstream mode redirects there too; "Sign out" ends on the signed-out page', async () => {
    const { url } = gh('plain')
    const { context, page } = await newPage()
    await page.goto(`${url}/oauth2/start?provider=partner&rd=${encodeURIComponent('/hello')}`)
    await logIn(page, 'bob')
    expect(await page.textContent('#user')).toBe('bob@example.com')
    const res = await page.goto(`${url}/admin/settings`)
    expect(res?.status()).toBe(403)
    expect(page.url()).toBe(`${url}/oauth2/forbidden?rd=${encodeURIComponent(`${url}/admin/settings`)}`)
    expect(await page.textContent('#who')).toBe('bob@example.com')
    // An API call is not a navigation: a plain 403, no redirect.
    const api = await context.request.get(`${url}/admin/api`, { maxRedirects: 0, headers: { accept: 'application/json' } })
    expect(api.status()).toBe(403)
    await Promise.all([page.waitForURL(`${url}/oauth2/signed_out`), page.click('#sign-out')])
    expect(await page.textContent('h1')).toBe('You are signed out')
    await context.close()
  })
})

describe('branding', () => {
  it('shows the title, the logo (served by Gatehouse, scripts inert), the escaped footer and the accent colour', async () => {
    const { url } = gh('branded')
    const { context, page, dialogs } = await newPage()
    await page.goto(`${url}/oauth2/sign_in`)
    expect(await page.textContent('.brand-title')).toBe('ACME Corp')
    expect(await page.title()).toBe('Sign in · ACME Corp')
    expect(await page.textContent('footer')).toBe('ACME internal tools · <b>not HTML</b> · help: it@acme.test')
    expect(await page.locator('footer b').count()).toBe(0)
    expect(await page.$eval('img.logo', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0)
    expect(await page.$eval('.button', (b) => getComputedStyle(b).backgroundColor)).toBe('rgb(10, 125, 79)')

    const logo = await fetch(`${url}/oauth2/static/logo`)
    expect(logo.headers.get('content-type')).toBe('image/svg+xml')
    expect(logo.headers.get('x-content-type-options')).toBe('nosniff')
    expect(logo.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/)
    expect(logo.headers.get('cache-control')).toMatch(/max-age=\d+/)
    const etag = logo.headers.get('etag')!
    expect((await fetch(`${url}/oauth2/static/logo`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    // Opened on its own, the SVG's script must not run.
    await page.goto(`${url}/oauth2/static/logo`)
    await page.waitForTimeout(300)
    expect(dialogs).toEqual([])
    expect((await fetch(`${gh('plain').url}/oauth2/static/logo`)).status).toBe(404)
    await context.close()
  })
})

type Variant = { name: 'light' | 'dark' | 'narrow'; width: number; height: number; scheme: 'light' | 'dark' }
const VARIANTS: Variant[] = [
  { name: 'light', width: 900, height: 700, scheme: 'light' },
  { name: 'dark', width: 900, height: 700, scheme: 'dark' },
  { name: 'narrow', width: 320, height: 640, scheme: 'light' },
]

/** What each page needs before the shot: a context (signed in or not) and a way to get there. */
const PAGES: { name: string; open: (page: Page, url: string) => Promise<unknown> }[] = [
  { name: 'forbidden', open: (page, url) => page.goto(`${url}/oauth2/forbidden`) },
  { name: 'signed-out', open: (page, url) => page.goto(`${url}/oauth2/signed_out`) },
  {
    name: 'sign-out-confirm',
    open: async (page, url) => {
      // A link on another site: Gatehouse asks first.
      await page.goto(`${realm.origin}/nowhere`)
      await page.setContent(`<a id="go" href="${url}/oauth2/sign_out?rd=%2Fhello">x</a>`)
      await Promise.all([page.waitForURL(`${url}/oauth2/sign_out**`), page.click('#go')])
    },
  },
  { name: 'error', open: (page, url) => page.goto(`${url}/oauth2/callback?state=stale&code=x`) },
  { name: 'not-found', open: (page, url) => page.goto(`${url}/oauth2/nothing-here`) },
  // Last: the sign-in page clears the session cookie.
  { name: 'sign-in', open: (page, url) => page.goto(`${url}/oauth2/sign_in`) },
]

/** Contrast of every text element against the background it is drawn on, computed in the page. */
function contrastsInPage(): { text: string; ratio: number }[] {
  const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number)
  const lum = ([r, g, b]: number[]) => {
    const ch = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    return 0.2126 * ch(r!) + 0.7152 * ch(g!) + 0.0722 * ch(b!)
  }
  const background = (el: Element | null): number[] => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor)
      if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c
    }
    return [255, 255, 255]
  }
  return [...document.querySelectorAll('h1, p, strong, code, .button, .brand-title, footer')].map((el) => {
    const [a, b] = [lum(parse(getComputedStyle(el).color)), lum(background(el))]
    return { text: `${el.tagName}.${el.className}: ${(el.textContent ?? '').trim().slice(0, 30)}`, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) }
  })
}

describe.each(['plain', 'branded'] as const)('screenshots, %s', (name) => {
  let context: BrowserContext
  let page: Page
  const requests: string[] = []
  const violations: string[] = []
  beforeAll(async () => {
    context = await browser.newContext()
    // Reported by the browser itself, whatever the page's own scripts (it has none) do.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`))
    })
    page = await context.newPage()
    page.on('console', (m) => {
      if (/Content Security Policy|CSP violation/i.test(m.text())) violations.push(m.text())
    })
    page.on('request', (r) => requests.push(r.url()))
    // Signed in as bob, so the forbidden page names an account.
    await page.goto(`${gh(name).url}/oauth2/start?provider=partner&rd=%2Fhello`)
    await logIn(page, 'bob')
  })
  afterAll(() => context.close())

  for (const p of PAGES) {
    it.each(VARIANTS)(`${p.name}: %s`, async (v) => {
      const { url } = gh(name)
      await page.setViewportSize({ width: v.width, height: v.height })
      await page.emulateMedia({ colorScheme: v.scheme })
      requests.length = 0
      violations.length = 0
      await p.open(page, url)
      await page.waitForLoadState('load')
      await page.screenshot({ path: join(SHOTS, `${name}-${p.name}-${v.name}.png`), fullPage: true })

      expect(new URL(page.url()).origin).toBe(url)
      expect(await page.locator('main h1').count()).toBe(1)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(v.width)
      expect(violations).toEqual([])
      const onPage = requests.slice(requests.findIndex((r) => r.startsWith(url)))
      expect(onPage.filter((r) => !r.startsWith(url) && !r.startsWith('data:'))).toEqual([])
      const low = (await page.evaluate(contrastsInPage)).filter((c) => c.ratio < 4.5)
      expect(low).toEqual([])
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number)
      const mean = (r! + g! + b!) / 3
      if (v.scheme === 'dark') expect(mean).toBeLessThan(60)
      else expect(mean).toBeGreaterThan(200)
      if (name === 'branded') expect(await page.$eval('img.logo', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0)
    })
  }
})
