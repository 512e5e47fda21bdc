import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'
import { randomSecret, startStack, type Stack } from '../helpers/stack.js'

const APP = 'http://app.example.test:8080/x'

describe('login flow with a __Host- cookie (secure, no domain)', () => {
  let stack: Stack
  beforeAll(async () => {
    // Secure cookies over http are sent to loopback hosts, as browsers treat them as secure contexts.
    stack = await startStack({ config: { cookie: { secret: randomSecret(), secure: true } } })
  })
  afterAll(() => stack.close())

  it('completes: __Host- state cookie at Path=/, __Host- session cookie, sign-out clears it', async () => {
    const browser = new CookieJarClient()
    const nginx = { 'x-original-url': APP, 'x-original-method': 'GET' }
    const start = await browser.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent(APP)}`)
    expect(start.status).toBe(302)
    expect(start.headers.getSetCookie()[0]).toMatch(/^__Host-_gatehouse_csrf_[\w-]+=[^;]+; Path=\/; Max-Age=900; .*HttpOnly; Secure; SameSite=Lax$/)
    const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
    const callback = await browser.get(back.location!)
    expect(callback.status).toBe(302)
    expect(callback.location).toBe(APP)
    const set = callback.headers.getSetCookie()
    expect(set.some((c) => /^__Host-_gatehouse=1\.[\w-]+; Path=\/; Max-Age=\d+; .*HttpOnly; Secure; SameSite=Lax$/.test(c))).toBe(true)
    expect(set.some((c) => /^__Host-_gatehouse_csrf_[\w-]+=; Path=\/; Max-Age=0/.test(c))).toBe(true)
    expect(browser.all().map((c) => c.name).filter((n) => n.includes('_gatehouse'))).toEqual(['__Host-_gatehouse'])

    expect((await browser.get(`${stack.url}/oauth2/auth`, nginx)).status).toBe(202)
    const signOut = await browser.get(`${stack.url}/oauth2/sign_out`, { 'sec-fetch-site': 'same-origin' })
    expect(signOut.headers.getSetCookie().some((c) => /^__Host-_gatehouse=; Path=\/; Max-Age=0;.*Secure/.test(c))).toBe(true)
    expect((await browser.get(`${stack.url}/oauth2/auth`, nginx)).status).toBe(401)
  })

  it('answers 401 when a second session cookie of the name rides along, whichever comes first', async () => {
    const browser = new CookieJarClient()
    const start = await browser.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent(APP)}`)
    const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
    await browser.get(back.location!)
    const real = browser.all().find((c) => c.name === '__Host-_gatehouse')!
    const bob = new CookieJarClient()
    const s2 = await bob.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent(APP)}`)
    await bob.get((await loginAtRealm(bob, s2.location!, 'bob', 'bob')).location!)
    const planted = bob.all().find((c) => c.name === '__Host-_gatehouse')!
    for (const cookie of [`${real.name}=${real.value}; ${planted.name}=${planted.value}`, `${planted.name}=${planted.value}; ${real.name}=${real.value}`]) {
      const res = await fetch(`${stack.url}/oauth2/auth`, { headers: { cookie } })
      expect(res.status).toBe(401)
    }
    const alone = await fetch(`${stack.url}/oauth2/auth`, { headers: { cookie: `${real.name}=${real.value}` } })
    expect(alone.status).toBe(202)
  })
})
