/**
 * Gatehouse against a real Keycloak (scripts/fetch-keycloak.sh), in upstream mode and behind the nginx example,
 * driven by headless Chromium. `npm run test:keycloak`; `.ci/run` runs it as its own stage.
 *
 * One Keycloak serves the whole file (it takes 40 s to 4 min to start). The "Keycloak stopped" block runs last and
 * leaves Keycloak running again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import type { BrowserContext, Page } from 'playwright-core'
import { COOKIE_NAME } from '../e2e/harness/gatehouse.js'
import { fetchLoopback } from '../e2e/harness/net.js'
import { ARTIFACTS, CLIENT_SECRET, OTHER_REALM, REALM, startKeycloakStack, type Front, type KeycloakStack, type Mode } from './harness/stack.js'

const PASSWORDS: Record<string, string> = { alice: 'alice', bob: 'bob' }
const MODES: Mode[] = ['upstream', 'nginx']

let stack: KeycloakStack | undefined
let failed = false
const contexts: BrowserContext[] = []

const s = (): KeycloakStack => {
  if (!stack) throw new Error('the Keycloak stack did not start (see the beforeAll error and artifacts/keycloak/logs/)')
  return stack
}

beforeAll(async () => {
  try {
    stack = await startKeycloakStack()
  } catch (err) {
    failed = true
    printKeycloakLogs()
    throw err
  }
}, 600_000)

/** The server's log on failure; the whole files stay in artifacts/keycloak/logs/. */
function printKeycloakLogs(): void {
  const dir = join(ARTIFACTS, 'logs')
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('keycloak-')) : []
  for (const f of files) console.error(`---- ${join(dir, f)} (last 8000 chars) ----\n${readFileSync(join(dir, f), 'utf8').slice(-8000)}`)
}

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  if (failed && stack) printKeycloakLogs()
  await stack?.stop()
}, 120_000)

/** Records a failure so afterAll prints Keycloak's log; each test body goes through it. */
function test(name: string, fn: () => Promise<void>, timeout?: number): void {
  it(
    name,
    async () => {
      try {
        await fn()
      } catch (err) {
        failed = true
        throw err
      }
    },
    timeout,
  )
}

async function newPage(): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await s().browser.newContext({ ignoreHTTPSErrors: true })
  ctx.setDefaultTimeout(60_000)
  ctx.setDefaultNavigationTimeout(60_000)
  contexts.push(ctx)
  return { ctx, page: await ctx.newPage() }
}

/** On Keycloak's login form: fill in and submit; resolves once the browser is back at `expected`. */
async function logIn(page: Page, user: string, expected: string): Promise<void> {
  await page.waitForSelector('#username')
  expect(new URL(page.url()).origin).toBe(s().keycloak.origin)
  await page.fill('#username', user)
  await page.fill('#password', PASSWORDS[user]!)
  await Promise.all([page.waitForURL((u) => u.href === expected, { waitUntil: 'load' }), page.click('#kc-login')])
}

async function loggedIn(front: Front, user: string, path: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const { ctx, page } = await newPage()
  const url = front.origin + path
  await page.goto(url)
  await logIn(page, user, url)
  return { ctx, page }
}

/** The headers of the last request the app saw for exactly this path and query. */
function seenBy(url: string): Record<string, string | string[] | undefined> {
  const u = new URL(url)
  const hit = [...s().app.seen].reverse().find((r) => r.url === u.pathname + u.search)
  if (!hit) throw new Error(`the app never saw ${u.pathname + u.search}`)
  return hit.headers
}

const list = (v: string | string[] | undefined) => (typeof v === 'string' && v ? v.split(',').sort() : [])
let serial = 0
const unique = (path: string) => `${path}?n=${++serial}`

async function status(page: Page, url: string): Promise<number> {
  const res = await page.goto(url)
  return res?.status() ?? 0
}

/** An API call through this front, with an Authorization header. */
async function bearer(front: Front, token: string): Promise<number> {
  const res = await fetchLoopback(`${front.origin}${unique('/api/bearer')}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    timeoutMs: 30_000,
  })
  return res.status
}

describe.each(MODES)('Keycloak, Gatehouse in %s mode', (mode) => {
  const front = () => s().fronts[mode]

  test('alice logs in; the app sees her groups (leading / stripped), realm roles and client roles', async () => {
    const url = front().origin + unique('/whoami')
    const { page } = await newPage()
    await page.goto(url)
    await page.screenshot({ path: join(ARTIFACTS, `${mode}-login-form.png`) })
    await logIn(page, 'alice', url)
    const seen = seenBy(url)
    expect(seen['x-auth-request-email']).toBe('alice@example.com')
    expect(seen['x-auth-request-preferred-username']).toBe('alice')
    expect(list(seen['x-auth-request-groups'])).toEqual(['sre', 'sre/oncall', 'staff'])
    const roles = list(seen['x-auth-request-roles'])
    expect(roles).toEqual(expect.arrayContaining(['admin', 'default-roles-gatehouse', 'gatehouse:operator', 'account:manage-account']))
    expect(roles).not.toContain('viewer')
    const cookie = (await page.context().cookies()).find((c) => c.name === COOKIE_NAME)
    expect(cookie?.httpOnly).toBe(true)
    for (const path of ['/sre-only', '/admins', '/operators']) expect(await status(page, front().origin + unique(path))).toBe(200)
  })

  test('bob is refused by a group rule, a realm-role rule and a client-role rule', async () => {
    const { ctx, page } = await loggedIn(front(), 'bob', unique('/whoami'))
    // forged copies of the identity headers never reach the app
    await ctx.setExtraHTTPHeaders({ 'X-Auth-Request-Roles': 'admin,gatehouse:operator', 'X-Auth-Request-Groups': 'sre' })
    await page.goto(front().origin + unique('/whoami'))
    expect(list(seenBy(page.url())['x-auth-request-groups'])).toEqual(['staff'])
    expect(list(seenBy(page.url())['x-auth-request-roles'])).toEqual(
      expect.arrayContaining(['default-roles-gatehouse', 'account:view-profile']),
    )
    expect(list(seenBy(page.url())['x-auth-request-roles'])).not.toContain('admin')
    for (const path of ['/sre-only', '/admins', '/operators']) expect(await status(page, front().origin + unique(path))).toBe(403)
    expect(await status(page, front().origin + unique('/anything-else'))).toBe(200)
  })

  for (const withRd of [false, true]) {
    test(`RP-initiated sign-out ${withRd ? 'with' : 'without'} rd returns from Keycloak; the next visit asks for the password`, async () => {
      const { page } = await loggedIn(front(), 'alice', unique('/before-sign-out'))
      const rd = `${front().origin}/signed-out`
      const signOut = `${front().origin}/oauth2/sign_out${withRd ? `?rd=${encodeURIComponent(rd)}` : ''}`
      const endSession: string[] = []
      page.on('request', (r) => {
        if (r.url().startsWith(`${s().issuer}/protocol/openid-connect/logout`)) endSession.push(r.url())
      })
      await page.goto(signOut)
      // Chromium sends Fetch Metadata only to secure origins. Over https (nginx mode) the typed URL carries
      // `Sec-Fetch-Site: none` and signs out at once; over plain http (upstream mode) the request carries no
      // signal at all, which Gatehouse cannot tell from a cross-site <img>, so it asks first.
      if (new URL(signOut).protocol === 'http:') {
        await page.waitForSelector('#sign-out')
        expect(endSession).toHaveLength(0)
        await Promise.all([page.waitForURL((u) => u.origin !== front().origin || u.pathname !== '/oauth2/sign_out'), page.click('#sign-out')])
      }
      // Keycloak accepted id_token_hint + post_logout_redirect_uri: no Keycloak confirmation page, straight back.
      expect(endSession).toHaveLength(1)
      const params = new URL(endSession[0]!).searchParams
      expect(params.get('id_token_hint')).toBeTruthy()
      expect(params.get('post_logout_redirect_uri')).toBe(withRd ? rd : `${front().origin}/oauth2/sign_in`)
      if (withRd) {
        // a public page (rule `sign-out landing page`): the app sees nobody (nginx drops the empty header)
        await page.waitForURL((u) => u.href === rd)
        expect(seenBy(rd)['x-auth-request-email'] ?? '').toBe('')
      } else {
        // /oauth2/sign_in with one provider starts a new login: Keycloak's form, not a silent SSO round trip.
        await page.waitForSelector('#username')
      }
      expect((await page.context().cookies()).find((c) => c.name === COOKIE_NAME)).toBeUndefined()
      const again = front().origin + unique('/after-sign-out')
      await page.goto(again)
      await page.waitForSelector('#password')
      expect(new URL(page.url()).origin).toBe(s().keycloak.origin)
      await logIn(page, 'alice', again)
    })
  }

  test('bearer tokens: a password-grant token (azp) and a client-credentials token with an audience mapper pass', async () => {
    const admin = s().keycloak.admin
    const password = await admin.passwordGrant(REALM, 'gatehouse', CLIENT_SECRET, 'alice', 'alice')
    expect(decodeJwt(password.access_token)).toMatchObject({ azp: 'gatehouse', aud: 'account', typ: 'Bearer' })
    expect(await bearer(front(), password.access_token)).toBe(200)
    const service = await admin.clientCredentials(REALM, 'reports-api', 'reports-api-secret')
    expect(decodeJwt(service.access_token)).toMatchObject({ azp: 'reports-api', aud: expect.arrayContaining(['gatehouse']) })
    expect(await bearer(front(), service.access_token)).toBe(200)
  })

  test('bearer tokens: another client, an ID token, a refresh token, another realm and an expired token are refused', async () => {
    const admin = s().keycloak.admin
    const other = await admin.passwordGrant(REALM, 'other-app', 'other-app-secret', 'alice', 'alice')
    const otherService = await admin.clientCredentials(REALM, 'other-app', 'other-app-secret')
    const own = await admin.passwordGrant(REALM, 'gatehouse', CLIENT_SECRET, 'alice', 'alice')
    const elsewhere = await admin.passwordGrant(OTHER_REALM, 'gatehouse', 'elsewhere-secret', 'alice', 'alice')
    const refused: [string, string][] = [
      ['another client (user token)', other.access_token],
      ['another client (service token)', otherService.access_token],
      ['an ID token', own.id_token!],
      ['a refresh token', own.refresh_token!],
      ['a token of another realm', elsewhere.access_token],
    ]
    for (const [what, token] of refused) expect([what, await bearer(front(), token)]).toEqual([what, 401])

    // reports-api-short issues 5-second tokens: the same kind of token passes while fresh, and is refused once expired
    const fresh = await admin.clientCredentials(REALM, 'reports-api-short', 'reports-api-short-secret')
    expect(await bearer(front(), fresh.access_token)).toBe(200)
    const later = await admin.clientCredentials(REALM, 'reports-api-short', 'reports-api-short-secret')
    const exp = decodeJwt(later.access_token).exp!
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 1500))
    expect(await bearer(front(), later.access_token)).toBe(401)
    expect(await bearer(front(), fresh.access_token)).toBe(401)
  })

  test('"Full scope allowed" (Keycloak\'s default) lets another client mint tokens Gatehouse accepts for holders of a gatehouse client role', async () => {
    const admin = s().keycloak.admin
    const alice = await admin.passwordGrant(REALM, 'full-scope-app', 'full-scope-app-secret', 'alice', 'alice')
    expect(decodeJwt(alice.access_token)).toMatchObject({ azp: 'full-scope-app', aud: expect.arrayContaining(['gatehouse']) })
    expect(await bearer(front(), alice.access_token)).toBe(200)
    const bob = await admin.passwordGrant(REALM, 'full-scope-app', 'full-scope-app-secret', 'bob', 'bob')
    expect(await bearer(front(), bob.access_token)).toBe(401)
  })
})

describe('Keycloak stopped and started again', () => {
  test('sessions keep working, new logins get a Gatehouse error page, and everything recovers without a restart', async () => {
    const sessions = new Map<Mode, Page>()
    for (const mode of MODES) sessions.set(mode, (await loggedIn(s().fronts[mode], 'alice', unique('/before-outage'))).page)

    await s().keycloak.stop()
    for (const mode of MODES) {
      const front = s().fronts[mode]
      // an existing session does not need the IdP
      expect(await status(sessions.get(mode)!, front.origin + unique('/during-outage'))).toBe(200)
      // a new visitor gets Gatehouse's own page, not the browser's connection error
      const { page } = await newPage()
      const res = await page.goto(front.origin + unique('/new-visitor'))
      expect(res?.status()).toBe(502)
      expect(new URL(page.url()).origin).toBe(front.origin)
      expect(await page.textContent('body')).toMatch(/identity provider could not be reached/i)
      await page.screenshot({ path: join(ARTIFACTS, `${mode}-keycloak-down.png`) })
    }

    await s().keycloak.start()
    for (const mode of MODES) {
      const front = s().fronts[mode]
      expect(await status(sessions.get(mode)!, front.origin + unique('/after-outage'))).toBe(200)
      const { page } = await loggedIn(front, 'bob', unique('/login-after-outage'))
      expect(seenBy(page.url())['x-auth-request-preferred-username']).toBe('bob')
    }
  }, 600_000)
})

// Last: a rotation changes the realm's keys for everything after it, so it must not run before the other scenarios.
describe.each(MODES)('Keycloak signing-key rotation, Gatehouse in %s mode', (mode) => {
  const front = () => s().fronts[mode]

  test('signing-key rotation through the admin REST API: logins keep working at once, new bearer tokens within the refetch interval', async () => {
    const admin = s().keycloak.admin
    // Two rotations in a row: the second comes seconds after the first made Gatehouse fetch the key set, as in
    // production under traffic, so no cache age can hide a refused window.
    const rounds: { kid: boolean; bearer: number; callback: number; landed: string }[] = []
    for (const round of [1, 2]) {
      const kid = await admin.rotateSigningKey(REALM, `rotated-${mode}-${round}-${Date.now()}`)
      const token = await admin.passwordGrant(REALM, 'gatehouse', CLIENT_SECRET, 'alice', 'alice')
      const header = JSON.parse(Buffer.from(token.access_token.split('.')[0]!, 'base64url').toString()) as { kid: string }
      // A new kid makes Gatehouse refetch the key set at most once per jwksCooldown (5 s): a token signed with
      // the new key may be refused only inside that interval, never after it.
      const deadline = Date.now() + 5_000 + 2_000
      let bearerStatus = await bearer(front(), token.access_token)
      while (bearerStatus === 401 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500))
        bearerStatus = await bearer(front(), token.access_token)
      }
      // The next login's ID token is signed with the new key: Gatehouse must not answer the callback with 400.
      const url = front().origin + unique(`/after-rotation-${round}`)
      const { page } = await newPage()
      await page.goto(url)
      await page.waitForSelector('#username')
      await page.fill('#username', 'alice')
      await page.fill('#password', PASSWORDS.alice!)
      const [callback] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/oauth2/callback'),
        page.click('#kc-login'),
      ])
      await page.waitForLoadState('load')
      rounds.push({ kid: header.kid === kid, bearer: bearerStatus, callback: callback.status(), landed: page.url().replace(/\?.*/, '?…') })
    }
    const ok = (round: number) => ({ kid: true, bearer: 200, callback: 302, landed: `${front().origin}/after-rotation-${round}?…` })
    expect(rounds).toEqual([ok(1), ok(2)])
  }, 120_000)
})

describe('session lifecycle against Keycloak (needs issue 11: sessions, refresh, back-channel logout)', () => {
  it.todo('issue 11: an admin logout of the user\'s Keycloak sessions ends the Gatehouse session within session.refresh')
  it.todo('issue 11: back-channel logout configured on the gatehouse client ends the Gatehouse session at once')
  it.todo('issue 11: refresh-token rotation on: no unexpected logout under concurrent requests at refresh time')
  it.todo('issue 11: passAccessToken: the app never receives an expired access token')
  it.todo('issue 11: Keycloak stopped: existing sessions keep working only until their refresh is due')
})
