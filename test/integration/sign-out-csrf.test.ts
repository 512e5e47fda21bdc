import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { parseForms } from '../fakes/browser.js'
import { sessionCookie } from '../helpers/session.js'
import { startStack, type Stack } from '../helpers/stack.js'

describe('sign-out from another site', () => {
  let stack: Stack
  let cookie: string
  beforeAll(async () => {
    stack = await startStack()
    await stack.gatehouse.runtime().providers.get('corp')!.ready()
  })
  // Sign-out revokes the session server-side: each test needs its own.
  beforeEach(() => {
    cookie = sessionCookie(stack.gatehouse.runtime())
  })
  afterAll(() => stack.close())

  const signOut = (headers: Record<string, string>, init: RequestInit = {}) =>
    fetch(`${stack.url}/oauth2/sign_out?rd=${encodeURIComponent(stack.url + '/')}`, { redirect: 'manual', ...init, headers: { cookie, ...headers, ...(init.headers as Record<string, string>) } })
  const stillSignedIn = async () => (await fetch(`${stack.url}/oauth2/auth`, { headers: { cookie } })).status === 202
  const clears = (res: Response) => res.headers.getSetCookie().some((c) => /^_gatehouse=; /.test(c))

  it.each([
    ['a cross-site <img>', { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'image' }],
    ['a same-site page not on the allow-list', { 'sec-fetch-site': 'same-site', referer: 'http://127.0.0.2:1/page' }],
    ['a foreign Origin without Sec-Fetch headers', { origin: 'https://evil.test' }],
    ['a foreign Referer without Sec-Fetch headers', { referer: 'https://evil.test/page' }],
    ['no signal at all', {}],
  ])('%s gets a confirmation page, and the session survives', async (_what, headers) => {
    const res = await signOut(headers)
    expect(res.status).toBe(200)
    expect(clears(res)).toBe(false)
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await res.text()
    expect(body).not.toMatch(/id_token_hint|id\.token\.hint|<script|src=/)
    const [form] = parseForms(body, `${stack.url}/oauth2/sign_out`)
    expect(form).toMatchObject({ method: 'post', action: `${stack.url}/oauth2/sign_out` })
    expect(form!.fields.rd).toBe(stack.url + '/')
    expect(await stillSignedIn()).toBe(true)
  })

  it.each<[string, Record<string, string>]>([
    ['a same-origin link', { 'sec-fetch-site': 'same-origin' }],
    ['the address bar or a bookmark', { 'sec-fetch-site': 'none' }],
    ['an allowed app on a sibling host', { 'sec-fetch-site': 'same-site', referer: 'http://app.example.test:8080/page' }],
    ['an old client with our own Referer', { referer: `${'STACK'}/somewhere` }],
  ])('%s signs out at once, via the IdP with id_token_hint', async (_what, headers) => {
    const res = await signOut(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('STACK', stack.url)])))
    expect(res.status).toBe(302)
    expect(clears(res)).toBe(true)
    const next = new URL(res.headers.get('location')!)
    expect(next.href.startsWith(stack.realm.issuer)).toBe(true)
    expect(next.searchParams.get('id_token_hint')).toBe('id.token.hint')
  })

  it('the confirmation button signs out with a POST carrying the token, even without any Origin signal', async () => {
    const page = await signOut({ 'sec-fetch-site': 'cross-site' })
    const [form] = parseForms(await page.text(), `${stack.url}/oauth2/sign_out`)
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(form!.action, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) })

    const forged = await post({ ...form!.fields, token: 'x'.repeat(43) }, { 'sec-fetch-site': 'cross-site' })
    expect(forged.status).toBe(200)
    expect(clears(forged)).toBe(false)
    const otherSession = await fetch(form!.action, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: sessionCookie(stack.gatehouse.runtime(), { subject: 'other' }), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form!.fields),
    })
    expect(clears(otherSession)).toBe(false)

    const res = await post(form!.fields)
    expect(res.status).toBe(303)
    expect(clears(res)).toBe(true)
    const next = new URL(res.headers.get('location')!)
    expect(next.searchParams.get('post_logout_redirect_uri')).toBe(stack.url + '/oauth2/signed_out')
    const landing = await fetch(`${stack.url}/oauth2/signed_out?state=${encodeURIComponent(next.searchParams.get('state')!)}`, { redirect: 'manual' })
    expect([landing.status, landing.headers.get('location')]).toEqual([302, stack.url + '/'])
  })

  it('a cross-site POST without the token is only asked to confirm', async () => {
    const res = await signOut({ 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' }, { method: 'POST', body: 'rd=%2F' })
    expect(res.status).toBe(200)
    expect(clears(res)).toBe(false)
  })

  it('a same-origin POST signs out as before', async () => {
    const res = await signOut({ 'sec-fetch-site': 'same-origin', origin: stack.url }, { method: 'POST' })
    expect(res.status).toBe(303)
    expect(clears(res)).toBe(true)
  })
})
