/**
 * A real Chromium accepts and sends back the __Host- session and state cookies on
 * http://localhost (a secure context for cookies, as is http://127.0.0.1 in Chromium 1xx; other
 * browsers may differ), and a whole login works with them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { chromium, type Browser } from 'playwright-core'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'

describe('__Host- cookies in a real Chromium on http://localhost', () => {
  let realm: Realm
  let gh: Gatehouse
  let browser: Browser
  let publicUrl: string
  beforeAll(async () => {
    const port = await freePort()
    publicUrl = `http://localhost:${port}`
    realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${publicUrl}/oauth2/callback`] }] })
    gh = await startGatehouse(
      await buildConfig({
        server: { listen: `127.0.0.1:${port}`, publicUrl },
        cookie: { secret: randomSecret(), secure: true },
        providers: [{ id: 'corp', type: 'keycloak', issuer: realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret', allowInsecureRequests: true }],
        authorization: {},
        logging: { level: 'silent' },
      }),
      { logger: createLogger('silent') },
    )
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP localhost 127.0.0.1'] })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await gh?.close()
    await realm?.close()
  })

  it('stores the __Host- state cookie, completes the login and is signed in by the __Host- session cookie', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const target = `${publicUrl}/oauth2/userinfo`
    await page.goto(`${publicUrl}/oauth2/start?rd=${encodeURIComponent(target)}`)
    const state = (await context.cookies(publicUrl)).filter((c) => c.name.startsWith('__Host-_gatehouse_csrf_'))
    expect(state).toHaveLength(1)
    expect(state[0]).toMatchObject({ path: '/', secure: true, httpOnly: true, sameSite: 'Lax' })

    await page.fill('#username', 'alice')
    await page.fill('#password', 'alice')
    await Promise.all([page.waitForURL(target), page.click('#kc-login')])
    expect(JSON.parse((await page.textContent('body'))!)).toMatchObject({ email: 'alice@example.com' })
    const names = (await context.cookies(publicUrl)).map((c) => c.name).filter((n) => n.includes('_gatehouse'))
    expect(names).toEqual(['__Host-_gatehouse'])

    // Typed into the address bar: Sec-Fetch-Site none, signed out at once.
    await page.goto(`${publicUrl}/oauth2/sign_out?rd=${encodeURIComponent(publicUrl + '/ping')}`)
    expect((await context.cookies(publicUrl)).filter((c) => c.name.includes('_gatehouse'))).toEqual([])
    await context.close()
  })

  it('asks before a cross-site sign-out, and signs out when the button is pressed', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const target = `${publicUrl}/oauth2/userinfo`
    await page.goto(`${publicUrl}/oauth2/start?rd=${encodeURIComponent(target)}`)
    await page.fill('#username', 'alice')
    await page.fill('#password', 'alice')
    await Promise.all([page.waitForURL(target), page.click('#kc-login')])

    // A page on the realm's origin (another site) links to sign_out.
    await page.goto(`${realm.origin}/nowhere`)
    await page.setContent(`<a id="go" href="${publicUrl}/oauth2/sign_out?rd=${encodeURIComponent(publicUrl + '/ping')}">x</a>`)
    await Promise.all([page.waitForURL(`${publicUrl}/oauth2/sign_out**`), page.click('#go')])
    expect(await page.textContent('h1')).toBe('Sign out?')
    expect((await context.cookies(publicUrl)).map((c) => c.name)).toContain('__Host-_gatehouse')

    await Promise.all([page.waitForURL((u) => u.pathname !== '/oauth2/sign_out'), page.click('#sign-out')])
    expect((await context.cookies(publicUrl)).filter((c) => c.name.includes('_gatehouse'))).toEqual([])
    await context.close()
  })
})
