/**
 * The seven browser scenarios, run through one proxy per test file (nginx.test.ts, caddy.test.ts,
 * traefik.test.ts). Each test opens its own browser context, so a failure in one does not cascade.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { COOKIE_NAME } from './harness/gatehouse.js'
import { fetchLoopback } from './harness/net.js'
import type { ProxyKind } from './harness/proxies.js'
import { ARTIFACTS, startStack, type Stack } from './harness/stack.js'

const PASSWORDS: Record<string, string> = { alice: 'alice', bob: 'bob' }

export function proxyScenarios(kind: ProxyKind): void {
  describe(`Gatehouse behind ${kind}`, () => {
    let stack: Stack | undefined
    const contexts: BrowserContext[] = []
    const shots = join(ARTIFACTS, kind)

    beforeAll(async () => {
      stack = await startStack(kind)
      mkdirSync(shots, { recursive: true })
    }, 180_000)

    afterAll(async () => {
      for (const c of contexts) await c.close().catch(() => undefined)
      await stack?.stop()
    }, 60_000)

    const s = (): Stack => {
      if (!stack) throw new Error(`the ${kind} stack did not start (see the beforeAll error)`)
      return stack
    }

    async function newPage(): Promise<{ ctx: BrowserContext; page: Page }> {
      const ctx = await s().browser.newContext({ ignoreHTTPSErrors: true })
      ctx.setDefaultTimeout(20_000)
      ctx.setDefaultNavigationTimeout(20_000)
      contexts.push(ctx)
      return { ctx, page: await ctx.newPage() }
    }

    /** On the realm's login form: fill in and submit; resolves once the browser is back at `expected`. */
    async function logIn(page: Page, user: string, expected: string): Promise<void> {
      await page.waitForSelector('#username')
      expect(new URL(page.url()).origin).toBe(s().realmOrigin)
      await page.fill('#username', user)
      await page.fill('#password', PASSWORDS[user]!)
      await Promise.all([page.waitForURL((u) => u.href === expected, { waitUntil: 'load' }), page.click('#kc-login')])
    }

    async function loggedIn(user: string, path = '/'): Promise<{ ctx: BrowserContext; page: Page }> {
      const { ctx, page } = await newPage()
      const url = s().appOrigin + path
      await page.goto(url)
      await logIn(page, user, url)
      return { ctx, page }
    }

    const text = async (page: Page, sel: string) => ((await page.textContent(sel)) ?? '').trim()

    it('1. a protected page sends the browser to the IdP and, after login, back to the original URL with its query', async () => {
      const { page } = await newPage()
      const target = `${s().appOrigin}/reports/daily?from=2024-01-01&tags=a%2Cb&q=two+words`
      const first = await page.goto(target)
      await page.waitForSelector('#username')
      expect(new URL(page.url()).origin).toBe(s().realmOrigin)
      expect(first).not.toBeNull()
      await page.screenshot({ path: join(shots, 'sign-in.png'), fullPage: true })

      await logIn(page, 'alice', target)
      expect(page.url()).toBe(target)
      expect(await text(page, '#title')).toBe('Echo app')
      expect(await text(page, '#request')).toBe('GET /reports/daily?from=2024-01-01&tags=a%2Cb&q=two+words')
      expect(await text(page, '#email')).toBe('alice@example.com')
      expect(await text(page, '#groups')).toBe('staff,sre')
      expect(await text(page, '#preferred-username')).toBe('alice')
      expect(await text(page, '#user')).not.toBe('')
      await page.screenshot({ path: join(shots, 'echo.png'), fullPage: true })

      // the session cookie is scoped to the shared parent domain
      const cookie = (await page.context().cookies()).find((c) => c.name === COOKIE_NAME)
      expect(cookie?.domain).toBe('.example.test')
      expect(cookie?.httpOnly).toBe(true)

      // a member of `sre` passes the group-restricted route
      const admin = await page.goto(`${s().appOrigin}/admin/settings?tab=users`)
      expect(admin?.status()).toBe(200)
      expect(await text(page, '#groups')).toBe('staff,sre')
    })

    it('2. fetch() without a session gets 401, not a redirect; with a session the identity cannot be spoofed', async () => {
      const { page } = await loggedIn('alice', '/dashboard')
      const anonymous = await page.evaluate(async () => {
        const res = await fetch('/api/data?x=1', { credentials: 'omit', redirect: 'manual' })
        return { status: res.status, type: res.type }
      })
      expect(anonymous).toEqual({ status: 401, type: 'basic' })

      const xhr = await page.evaluate(async () => {
        const res = await fetch('/api/data', {
          credentials: 'omit',
          redirect: 'manual',
          headers: { 'X-Requested-With': 'XMLHttpRequest', Accept: 'text/html,application/json' },
        })
        return res.status
      })
      expect(xhr).toBe(401)

      const withSession = await page.evaluate(async () => {
        const res = await fetch('/api/data', {
          headers: {
            'X-Auth-Request-Email': 'mallory@evil.test',
            'X-Auth-Request-Groups': 'admin',
            'X-Auth-Request-User': 'mallory',
          },
        })
        return { status: res.status, text: await res.text() }
      })
      // Gatehouse refuses a check that carries identity headers (403 to nginx, 400 on forward-auth);
      // a proxy that strips them before the check (defence in depth) lets the real identity through.
      if (withSession.status === 200) {
        const body = JSON.parse(withSession.text)
        expect(body.identity).toMatchObject({ email: 'alice@example.com', groups: 'staff,sre', preferredUsername: 'alice' })
        expect(body.identity.user).not.toBe('mallory')
      } else {
        expect([400, 403]).toContain(withSession.status)
        expect(withSession.text).not.toContain('mallory')
      }
    })

    it('3. a user outside the required group (bob, not in sre) gets 403 and the app is never called', async () => {
      const { page } = await newPage()
      const adminUrl = `${s().appOrigin}/admin/settings?tab=users`
      await page.goto(adminUrl)
      await page.waitForSelector('#username')
      const seenBefore = s().app.seen.length
      const landed = page.waitForResponse((r) => r.url() === adminUrl && r.request().isNavigationRequest())
      await page.fill('#username', 'bob')
      await page.fill('#password', 'bob')
      await page.click('#kc-login')
      const res = await landed
      if (s().kind === 'nginx') {
        // /oauth2/auth never redirects: nginx shows the 403 on the refused URL.
        expect(res.status()).toBe(403)
        expect(page.url()).toBe(adminUrl)
      } else {
        // forward-auth: a refused navigation goes on to the forbidden page, which names the account.
        expect(res.status()).toBe(302)
        await page.waitForURL((u) => u.pathname === '/oauth2/forbidden')
        expect(new URL(page.url()).searchParams.get('rd')).toBe(adminUrl)
        expect(await text(page, '#who')).toBe('bob@example.com')
      }
      const reachedApp = s().app.seen.slice(seenBefore).filter((r) => r.url.startsWith('/admin'))
      expect(reachedApp).toEqual([])

      // bob is signed in: an unrestricted page works and shows his groups
      const home = await page.goto(`${s().appOrigin}/`)
      expect(home?.status()).toBe(200)
      expect(await text(page, '#email')).toBe('bob@example.com')
      expect(await text(page, '#groups')).toBe('staff')
    })

    it('4. sign-out clears the session and the next request goes to the login page again', async () => {
      const { ctx, page } = await loggedIn('alice', '/before-sign-out')
      const home = `${s().appOrigin}/`
      // A sign-out link on the app's own page: same-origin (Fetch Metadata over https, the Referer over plain
      // http, where Chromium sends no Fetch Metadata), so Gatehouse signs out at once, no confirmation page.
      await page.evaluate((href) => {
        const a = document.createElement('a')
        a.href = href
        a.id = 'e2e-sign-out'
        a.textContent = 'Sign out'
        document.body.append(a)
      }, `${s().appOrigin}/oauth2/sign_out?rd=${encodeURIComponent(home)}`)
      await page.click('#e2e-sign-out')
      // back at the app, which is protected again: the login form of the realm
      await page.waitForSelector('#username')
      expect(new URL(page.url()).origin).toBe(s().realmOrigin)
      const session = (await ctx.cookies()).find((c) => c.name === COOKIE_NAME && c.value !== '')
      expect(session).toBeUndefined()
      // whatever cookies the browser still holds for the app do not authenticate an API call
      const cookieHeader = (await ctx.cookies(s().appOrigin)).map((c) => `${c.name}=${c.value}`).join('; ')
      const api = await fetchLoopback(`${s().appOrigin}/api/data`, {
        headers: { Accept: 'application/json', ...(cookieHeader ? { Cookie: cookieHeader } : {}) },
      })
      expect(api.status).toBe(401)

      // and logging in again works
      await logIn(page, 'alice', home)
      expect(await text(page, '#email')).toBe('alice@example.com')
    })

    it('4b. a sign-out URL opened without a same-origin signal asks first; its button signs out', async () => {
      const { ctx, page } = await loggedIn('alice', '/before-typed-sign-out')
      const home = `${s().appOrigin}/`
      await page.goto(`${s().appOrigin}/oauth2/sign_out?rd=${encodeURIComponent(home)}`)
      // Typed in the address bar: `Sec-Fetch-Site: none` over https signs out at once. Over plain http Chromium
      // sends no Fetch Metadata and no Referer, which Gatehouse cannot tell from a cross-site <img>: it asks.
      if (new URL(s().appOrigin).protocol === 'http:') {
        await page.waitForSelector('#sign-out')
        const before = (await ctx.cookies()).find((c) => c.name === COOKIE_NAME && c.value !== '')
        expect(before).toBeDefined()
        await page.click('#sign-out')
      }
      await page.waitForSelector('#username')
      expect(new URL(page.url()).origin).toBe(s().realmOrigin)
      expect((await ctx.cookies()).find((c) => c.name === COOKIE_NAME && c.value !== '')).toBeUndefined()
    })

    it('5. a public rule path loads without login (rules: [{ paths: ["/public"], allow: public }])', async () => {
      if (s().gatehouse.rulesError) {
        throw new Error(`this Gatehouse build rejects the rules: block, so no public path exists:\n${s().gatehouse.rulesError}`)
      }
      const { page } = await newPage()
      const url = `${s().appOrigin}/public/info?lang=en`
      const res = await page.goto(url)
      expect(res?.status()).toBe(200)
      expect(page.url()).toBe(url)
      expect(await text(page, '#title')).toBe('Public page')
      expect(await text(page, '#request')).toBe('GET /public/info?lang=en')
      // anonymous: identity headers present but empty
      expect(await text(page, '#email')).toBe('')
      // a protected path next to it still needs a login
      await page.goto(`${s().appOrigin}/publicity`)
      await page.waitForSelector('#username')
    })

    it('6. two tabs that start the login at the same time both end up signed in at their own URL', async () => {
      const { ctx } = await newPage()
      const [p1, p2] = [await ctx.newPage(), await ctx.newPage()]
      const u1 = `${s().appOrigin}/tabs/one?n=1`
      const u2 = `${s().appOrigin}/tabs/two?n=2`
      await Promise.all([p1.goto(u1), p2.goto(u2)])
      await Promise.all([p1.waitForSelector('#username'), p2.waitForSelector('#username')])
      await Promise.all([logIn(p1, 'alice', u1), logIn(p2, 'alice', u2)])
      expect(await text(p1, '#request')).toBe('GET /tabs/one?n=1')
      expect(await text(p2, '#request')).toBe('GET /tabs/two?n=2')
      expect(await text(p1, '#email')).toBe('alice@example.com')
      expect(await text(p2, '#email')).toBe('alice@example.com')
    })

    it('7. a WebSocket upgrade is authorised by the session (and refused without one)', async () => {
      const { ctx, page } = await loggedIn('alice', '/chat')
      const wsUrl = `${s().appOrigin.replace(/^http/, 'ws')}/ws/echo`
      const talk = (url: string) =>
        page.evaluate(
          (u) =>
            new Promise<{ ok: boolean; messages: string[]; reason?: string }>((resolve) => {
              const messages: string[] = []
              const ws = new WebSocket(u)
              const timer = setTimeout(() => resolve({ ok: false, messages, reason: 'timeout' }), 10_000)
              ws.onmessage = (e) => {
                messages.push(String(e.data))
                if (messages.length === 1) ws.send('ping-42')
                else {
                  clearTimeout(timer)
                  ws.close()
                  resolve({ ok: true, messages })
                }
              }
              ws.onerror = () => {
                clearTimeout(timer)
                resolve({ ok: false, messages, reason: 'error' })
              }
            }),
          url,
        )
      const upgradesBefore = s().app.seen.filter((r) => r.websocket).length
      expect(await talk(wsUrl)).toEqual({ ok: true, messages: ['hello alice <alice@example.com>', 'echo:ping-42'] })
      const upgrade = s().app.seen.filter((r) => r.websocket).at(-1)!
      expect(upgrade.headers['x-auth-request-groups']).toBe('staff,sre')

      await ctx.clearCookies()
      expect(await talk(wsUrl)).toMatchObject({ ok: false, messages: [] })
      expect(s().app.seen.filter((r) => r.websocket).length).toBe(upgradesBefore + 1)
    })

    // Protocol checks without the browser (forward-auth-protocols.md §6.1, §6.2, §6.4).
    const NAV = { Accept: 'text/html,application/xhtml+xml', 'Sec-Fetch-Mode': 'navigate' }
    const returnUrlOf = (location: string | string[] | undefined) => {
      const loc = new URL(String(location))
      return { loc, rd: loc.searchParams.get('rd') }
    }

    it('8. a POST with a body and no session is answered at once (the check never waits for a body)', async () => {
      const started = Date.now()
      const res = await fetchLoopback(`${s().appOrigin}/api/submit?x=1`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ hello: 'world' }),
        timeoutMs: 10_000,
      })
      expect(res.status).toBe(401)
      expect(Date.now() - started).toBeLessThan(3000)
      expect(s().app.seen.some((r) => r.url.startsWith('/api/submit'))).toBe(false)
    })

    it('9. the login redirect is absolute, on the public URL, and carries the real URL even when the client forges forwarded headers', async () => {
      const path = '/deep/link?a=1&b=two%20words'
      const res = await fetchLoopback(`${s().appOrigin}${path}`, {
        headers: {
          ...NAV,
          'X-Forwarded-Host': 'evil.example.test',
          'X-Forwarded-Proto': 'http',
          'X-Forwarded-Uri': '/phish',
          'X-Original-URL': 'https://evil.example.test/phish',
        },
      })
      expect([302, 303]).toContain(res.status)
      const { loc, rd } = returnUrlOf(res.headers.location)
      expect(loc.origin).toBe(s().appOrigin)
      expect(loc.pathname).toMatch(/^\/oauth2\/(start|sign_in)$/)
      expect(rd).toBe(`${s().appOrigin}${path}`)
    })

    it.each([
      ['X-Original-URL', (origin: string) => `${origin}/public/x`],
      ['X-Forwarded-Uri', () => '/public/x'],
      ['X-Original-Method', () => 'OPTIONS'],
      ['X-Forwarded-Prefix', () => '/public'],
    ])('10. a client-supplied %s cannot make a protected path look public', async (header, value) => {
      const before = s().app.seen.filter((r) => r.url.startsWith('/secret/')).length
      const res = await fetchLoopback(`${s().appOrigin}/secret/data?id=7`, {
        headers: { Accept: 'application/json', [header]: value(s().appOrigin) },
      })
      expect(res.status).toBe(401)
      expect(s().app.seen.filter((r) => r.url.startsWith('/secret/')).length).toBe(before)
    })
  })
}
