import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'
import { startStack, type Stack } from '../helpers/stack.js'

const HTML = { accept: 'text/html' }

describe('callback failures', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack.close())

  const begin = async (browser: CookieJarClient) => {
    const start = await browser.get(`${stack.url}/oauth2/start?rd=%2Fafter`, HTML)
    const state = new URL(start.location!).searchParams.get('state')!
    return { start, state }
  }
  const stateCookies = (browser: CookieJarClient) => browser.all().filter((c) => c.name.startsWith('_gatehouse_csrf_'))

  it('refuses a callback whose state has no matching cookie', async () => {
    const browser = new CookieJarClient()
    const res = await browser.get(`${stack.url}/oauth2/callback?code=abc&state=forged`, HTML)
    expect(res.status).toBe(400)
    expect(res.body).toContain('expired or was already used')
    expect(res.headers.get('x-request-id')).toBeTruthy()
  })

  it('refuses a state that belongs to another flow', async () => {
    const browser = new CookieJarClient()
    await begin(browser)
    const other = new CookieJarClient()
    const { state } = await begin(other)
    const res = await browser.get(`${stack.url}/oauth2/callback?code=abc&state=${state}`, HTML)
    expect(res.status).toBe(400)
  })

  it('refuses a replayed code, even with a saved copy of the state cookie', async () => {
    const browser = new CookieJarClient()
    const { start } = await begin(browser)
    const saved = stateCookies(browser)
    const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
    const first = await browser.get(back.location!, HTML)
    expect(first.status).toBe(302)
    for (const c of saved) browser.setCookie(`${c.name}=${c.value}; Path=${c.path}`, stack.url)
    const replay = await browser.get(back.location!, HTML)
    expect(replay.status).toBe(400)
    expect(replay.headers.getSetCookie().some((c) => c.startsWith('_gatehouse=1.'))).toBe(false)
  })

  it('shows a clear page for error=access_denied and clears the state cookie', async () => {
    const browser = new CookieJarClient()
    const { state } = await begin(browser)
    const res = await browser.get(`${stack.url}/oauth2/callback?error=access_denied&state=${state}`, HTML)
    expect(res.status).toBe(403)
    expect(res.body).toContain('did not let you sign in')
    expect(stateCookies(browser)).toHaveLength(0)
  })

  it('refuses a callback without a code', async () => {
    const browser = new CookieJarClient()
    const { state } = await begin(browser)
    const res = await browser.get(`${stack.url}/oauth2/callback?state=${state}`, HTML)
    expect(res.status).toBe(400)
    expect(stateCookies(browser)).toHaveLength(0)
  })

  it('keeps at most five login flows per browser', async () => {
    const browser = new CookieJarClient()
    for (let i = 0; i < 8; i++) await begin(browser)
    expect(stateCookies(browser).length).toBeLessThanOrEqual(5)
  })

  it('never starts a login with an unsafe rd', async () => {
    const browser = new CookieJarClient()
    const start = await browser.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent('//evil.test/x')}`, HTML)
    expect(start.status).toBe(302)
    const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
    const cb = await browser.get(back.location!, HTML)
    expect(cb.location).toBe(`${stack.url}/`)
  })
})

describe('an IdP that goes down between login and callback', () => {
  it('gives a 502 page and keeps serving', async () => {
    const stack = await startStack()
    try {
      const browser = new CookieJarClient()
      const start = await browser.get(`${stack.url}/oauth2/start`, HTML)
      const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
      await stack.realm.close()
      const res = await browser.get(back.location!, HTML)
      expect(res.status).toBe(502)
      expect(res.body).toContain('identity provider could not be reached')
      expect(res.body).not.toMatch(/ECONNREFUSED|\bat \S+:\d+/)
      const ping = await browser.get(`${stack.url}/ping`)
      expect(ping.status).toBe(200)
    } finally {
      await stack.gatehouse.close()
    }
  })
})
