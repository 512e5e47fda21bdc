import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { randomUUID } from 'node:crypto'
import { generateKeyPair, SignJWT } from 'jose'
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'
import { signIn } from '../helpers/login.js'
import { randomSeed } from '../helpers/property.js'
import { startStack, type Stack } from '../helpers/stack.js'

const EVENT = 'http://schemas.openid.net/event/backchannel-logout'

describe('back-channel logout and sign-out revocation (cookie store)', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack.close())

  const auth = async (cookie: string) => (await fetch(`${stack.url}/oauth2/auth`, { headers: { cookie } })).status
  const post = (body: string, type = 'application/x-www-form-urlencoded') =>
    fetch(`${stack.url}/oauth2/backchannel_logout`, { method: 'POST', headers: { 'content-type': type }, body })

  it('a logout token for the IdP session (sid) ends that session at once, and only that one', async () => {
    const cookie = await signIn(stack.url, 'alice')
    const other = await signIn(stack.url, 'bob')
    expect(await auth(cookie)).toBe(202)
    expect(await auth(other)).toBe(202)
    const sub = stack.realm.subjectOf('alice')
    expect(stack.realm.admin.sessionsOf(sub).length).toBeGreaterThan(0)
    const started = performance.now()
    expect(await stack.realm.admin.backchannelLogout(sub)).toEqual(expect.arrayContaining([200]))
    expect(await auth(cookie)).toBe(401)
    console.log(`back-channel logout to refusal: ${(performance.now() - started).toFixed(1)} ms`)
    expect(await auth(other)).toBe(202)
  })

  it('a logout token naming only sub ends every session of that user', async () => {
    const first = await signIn(stack.url, 'bob')
    const second = await signIn(stack.url, 'bob')
    expect([await auth(first), await auth(second)]).toEqual([202, 202])
    expect(await stack.realm.admin.backchannelLogout(stack.realm.subjectOf('bob'), { bySubOnly: true })).toEqual([200])
    expect([await auth(first), await auth(second)]).toEqual([401, 401])
    // A later sign-in of the same user is not affected (the list has second resolution, and errs on the safe side).
    await new Promise((r) => setTimeout(r, 1100))
    expect(await auth(await signIn(stack.url, 'bob'))).toBe(202)
  })

  it('a copy of the cookie taken before sign-out is refused afterwards', async () => {
    const cookie = await signIn(stack.url, 'alice')
    expect(await auth(cookie)).toBe(202)
    const out = await fetch(`${stack.url}/oauth2/sign_out`, { headers: { cookie, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' })
    expect(out.status).toBe(302)
    expect(await auth(cookie)).toBe(401)
  })

  it('refuses a replayed logout token, and bodies that carry none', async () => {
    const token = await stack.realm.signAccessToken({ aud: 'gatehouse', sub: 'nobody-' + randomUUID(), events: { [EVENT]: {} } })
    const body = new URLSearchParams({ logout_token: token }).toString()
    expect((await post(body)).status).toBe(200)
    const replay = await post(body)
    expect(replay.status).toBe(400)
    expect(await replay.json()).toMatchObject({ error: 'invalid_request' })
    expect(replay.headers.get('cache-control')).toBe('no-store')
    expect((await post('')).status).toBe(400)
    expect((await post(JSON.stringify({ logout_token: token }), 'application/json')).status).toBe(400)
    expect((await post('logout_token=' + 'x'.repeat(20_000))).status).toBe(400)
  })

  /**
   * The class of logout tokens: every combination of a right or wrong signature key, iss, aud,
   * events claim, sid/sub, nonce and age. Only a token right in every respect is accepted (200);
   * every other one is a 400 and ends no session.
   */
  it('accepts a logout token only when every check holds (generated tokens)', async () => {
    const cookie = await signIn(stack.url, 'alice')
    const foreign = (await generateKeyPair('RS256')).privateKey
    const arb = fc.record({
      foreignKey: fc.boolean(),
      iss: fc.constantFrom('ok', 'other', 'missing'),
      aud: fc.constantFrom('ok', 'other', 'missing'),
      events: fc.constantFrom('ok', 'missing', 'wrong-event', 'not-object'),
      names: fc.constantFrom('sub', 'sid', 'both', 'neither'),
      nonce: fc.boolean(),
      age: fc.constantFrom(0, 3600),
    })
    const check = async (c: typeof arb extends fc.Arbitrary<infer T> ? T : never) => {
      const now = Math.floor(Date.now() / 1000)
      const claims: Record<string, unknown> = { jti: randomUUID(), iat: now - c.age, exp: now - c.age + 120, typ: undefined }
      claims.iss = c.iss === 'ok' ? stack.realm.issuer : c.iss === 'other' ? 'http://127.0.0.1:9/realms/evil' : undefined
      claims.aud = c.aud === 'ok' ? 'gatehouse' : c.aud === 'other' ? 'someone-else' : undefined
      claims.events = c.events === 'ok' ? { [EVENT]: {} } : c.events === 'wrong-event' ? { 'urn:other': {} } : c.events === 'not-object' ? { [EVENT]: 'yes' } : undefined
      // A sid nobody has: an accepted token must not end the session under test.
      if (c.names === 'sid' || c.names === 'both') claims.sid = 'unknown-' + randomUUID()
      claims.sub = c.names === 'sub' || c.names === 'both' ? 'someone-' + randomUUID() : undefined
      if (c.nonce) claims.nonce = 'n'
      const token = c.foreignKey
        ? await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'not-the-realms' }).sign(foreign)
        : await stack.realm.signAccessToken(claims)
      const status = (await post(new URLSearchParams({ logout_token: token }).toString())).status
      const valid = !c.foreignKey && c.iss === 'ok' && c.aud === 'ok' && c.events === 'ok' && c.names !== 'neither' && !c.nonce && c.age === 0
      expect(status).toBe(valid ? 200 : 400)
    }
    for (const seed of [20261201, randomSeed]) {
      try {
        await fc.assert(fc.asyncProperty(arb, check), { seed, numRuns: 40 })
      } catch (err) {
        throw new Error(`property failed with seed ${seed} (replay: FC_SEED=${seed})\n${(err as Error).message}`)
      }
    }
    expect(await auth(cookie)).toBe(202)
  }, 90_000)
})

describe('back-channel logout sent by the IdP itself (oidc-provider, RP-initiated logout)', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack.close())

  it('signing out one session at the IdP ends the other Gatehouse session of the same IdP session', async () => {
    const browser = new CookieJarClient()
    const sessionCookie = (res: { headers: Headers }) =>
      res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => /^_gatehouse=1\./.test(c))!
    const start = await browser.get(`${stack.url}/oauth2/start`, { accept: 'text/html' })
    const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
    const first = sessionCookie(await browser.get(back.location!))
    // Same browser, same IdP session (SSO): a second Gatehouse session with the same sid.
    const again = await browser.get(`${stack.url}/oauth2/start`, { accept: 'text/html' })
    const sso = await browser.follow(again.location!, { stopAt: (u) => u.pathname === '/oauth2/callback' })
    const second = sessionCookie(await browser.get(sso.location!))
    expect(first).not.toBe(second)
    const status = async (cookie: string) => (await fetch(`${stack.url}/oauth2/auth`, { headers: { cookie } })).status
    expect([await status(first), await status(second)]).toEqual([202, 202])
    // Gatehouse sign-out of the first → the IdP's end-session page (auto-submitted) → the IdP posts a logout token.
    const out = await fetch(`${stack.url}/oauth2/sign_out`, { headers: { cookie: first, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' })
    expect(out.headers.get('location')!.startsWith(stack.realm.issuer)).toBe(true)
    await browser.follow(out.headers.get('location')!, { stopAt: (u) => u.origin === stack.url })
    expect(await status(second)).toBe(401)
  })
})
