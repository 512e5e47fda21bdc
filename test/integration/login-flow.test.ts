import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'
import { startStack, type Stack } from '../helpers/stack.js'

const APP = 'http://app.example.test:8080/dashboard/view?tab=2&q=a%20b'

describe('full login flow against a Keycloak-shaped realm', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(async () => {
    await stack.close()
  })

  it('start → IdP login → callback → session → 202 with headers → sign_out → 401', async () => {
    const browser = new CookieJarClient()
    const nginxHeaders = { 'x-original-url': APP, 'x-original-method': 'GET' }

    const denied = await browser.get(`${stack.url}/oauth2/auth`, nginxHeaders)
    expect(denied.status).toBe(401)
    const signIn = new URL(denied.headers.get('location')!)
    expect(signIn.origin).toBe(stack.url)
    expect(signIn.pathname).toBe('/oauth2/start')
    expect(signIn.searchParams.get('rd')).toBe(APP)

    const start = await browser.get(signIn.href, { accept: 'text/html' })
    expect(start.status).toBe(302)
    const authorize = new URL(start.location!)
    expect(authorize.href.startsWith(stack.realm.issuer + '/protocol/openid-connect/auth')).toBe(true)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('nonce')).toBeTruthy()
    expect(start.headers.get('set-cookie')).toMatch(/_gatehouse_csrf_[\w-]+=1\.[\w-]+; Path=\/oauth2\/; Max-Age=900;.*HttpOnly; SameSite=Lax/)

    const backToRp = await loginAtRealm(browser, authorize.href, 'alice', 'alice')
    expect(backToRp.location?.startsWith(`${stack.url}/oauth2/callback?`)).toBe(true)

    const callback = await browser.get(backToRp.location!)
    expect(callback.status).toBe(302)
    expect(callback.location).toBe(APP)
    const setCookies = callback.headers.getSetCookie()
    expect(setCookies.some((c) => /^_gatehouse=1\.[\w-]+; Path=\/; Max-Age=604800; .*HttpOnly; SameSite=Lax$/.test(c))).toBe(true)
    expect(setCookies.some((c) => /^_gatehouse_csrf_[\w-]+=; Path=\/oauth2\/; Max-Age=0/.test(c))).toBe(true)

    const allowed = await browser.get(`${stack.url}/oauth2/auth`, nginxHeaders)
    expect(allowed.status).toBe(202)
    expect(allowed.headers.get('x-auth-request-user')).toBe(stack.realm.subjectOf('alice'))
    expect(allowed.headers.get('x-auth-request-email')).toBe('alice@example.com')
    expect(allowed.headers.get('x-auth-request-groups')).toBe('staff,sre')
    expect(allowed.headers.get('x-auth-request-preferred-username')).toBe('alice')

    const traefik = await browser.get(`${stack.url}/oauth2/forward-auth`, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/x' })
    expect(traefik.status).toBe(200)
    expect(traefik.headers.get('x-auth-request-email')).toBe('alice@example.com')

    const info = await browser.get(`${stack.url}/oauth2/userinfo`)
    expect(info.status).toBe(200)
    expect(JSON.parse(info.body)).toMatchObject({ email: 'alice@example.com', groups: ['staff', 'sre'], provider: 'corp', roles: expect.arrayContaining(['admin']) })

    const constrained = await browser.get(`${stack.url}/oauth2/auth?allowed_groups=ops,sre`, nginxHeaders)
    expect(constrained.status).toBe(202)
    const forbidden = await browser.get(`${stack.url}/oauth2/auth?allowed_groups=sre&allowed_email_domains=other.test`, nginxHeaders)
    expect(forbidden.status).toBe(403)
    expect((await browser.get(`${stack.url}/oauth2/auth?allowed_roles=admin`, nginxHeaders)).status).toBe(202)
    expect((await browser.get(`${stack.url}/oauth2/auth?allowed_emails=bob@example.test`, nginxHeaders)).status).toBe(403)

    const signOut = await browser.get(`${stack.url}/oauth2/sign_out?rd=${encodeURIComponent(stack.url + '/')}`, { 'sec-fetch-site': 'same-origin' })
    expect(signOut.status).toBe(302)
    const endSession = new URL(signOut.location!)
    expect(endSession.href.startsWith(stack.realm.issuer + '/protocol/openid-connect/logout')).toBe(true)
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy()
    // One fixed URI for the IdP; the rd travels sealed in `state` and the signed-out page goes on to it.
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(stack.url + '/oauth2/signed_out')
    const back = await browser.get(`${stack.url}/oauth2/signed_out?state=${encodeURIComponent(endSession.searchParams.get('state')!)}`)
    expect([back.status, back.location]).toEqual([302, stack.url + '/'])
    expect(signOut.headers.getSetCookie().some((c) => /^_gatehouse=; Path=\/; Max-Age=0/.test(c))).toBe(true)

    const after = await browser.get(`${stack.url}/oauth2/auth`, nginxHeaders)
    expect(after.status).toBe(401)
  })

  it('logs bob in but forbids him where sre is required', async () => {
    const browser = new CookieJarClient()
    const start = await browser.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent(APP)}`)
    const back = await loginAtRealm(browser, start.location!, 'bob', 'bob')
    const cb = await browser.get(back.location!)
    expect(cb.location).toBe(APP)
    expect((await browser.get(`${stack.url}/oauth2/auth`)).status).toBe(202)
    const res = await browser.get(`${stack.url}/oauth2/forward-auth?allowed_groups=sre`, { accept: 'text/html' })
    expect(res.status).toBe(403)
    expect(res.body).toContain('not allowed')
  })

  it('lets two parallel logins in one browser both complete', async () => {
    const browser = new CookieJarClient()
    const a = await browser.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent('http://a.example.test:1/a')}`)
    const b = await browser.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent('http://b.example.test:1/b')}`)
    const backA = await loginAtRealm(browser, a.location!, 'alice', 'alice')
    const backB = await loginAtRealm(browser, b.location!, 'alice', 'alice')
    expect((await browser.get(backB.location!)).location).toBe('http://b.example.test:1/b')
    expect((await browser.get(backA.location!)).location).toBe('http://a.example.test:1/a')
  })
})
