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
import {
  ARTIFACTS,
  CLIENT_SECRET,
  OTHER_REALM,
  REALM,
  SESSION_REFRESH_S,
  startKeycloakStack,
  type Front,
  type KeycloakStack,
  type Mode,
} from './harness/stack.js'

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

/** The session cookie, or one of its chunks (_gatehouse_0, …) once Keycloak's tokens pass ~4000 bytes. */
const isSessionCookie = (name: string) => name === COOKIE_NAME || new RegExp(`^${COOKIE_NAME}_\\d+$`).test(name)
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
    // one cookie, or chunks (_gatehouse_0, …) once Keycloak's tokens pass ~4000 bytes
    const cookies = (await page.context().cookies()).filter((c) => isSessionCookie(c.name))
    expect(cookies.length).toBeGreaterThan(0)
    for (const c of cookies) expect([c.name, c.httpOnly]).toEqual([c.name, true])
    for (const path of ['/sre-only', '/admins', '/operators']) expect(await status(page, front().origin + unique(path))).toBe(200)
  })

  test('bob is refused by a group rule, a realm-role rule and a client-role rule', async () => {
    const { ctx, page } = await loggedIn(front(), 'bob', unique('/whoami'))
    // Forged copies of the identity headers never reach the app: the nginx example blanks every one of them before
    // the check and the app (else Gatehouse would refuse the check, 403), upstream mode drops them.
    await ctx.setExtraHTTPHeaders({ 'X-Auth-Request-Roles': 'admin,gatehouse:operator', 'X-Auth-Request-Groups': 'sre' })
    const forged = await page.goto(front().origin + unique('/whoami'))
    expect(forged?.status()).toBe(200)
    expect(list(seenBy(page.url())['x-auth-request-groups'])).toEqual(['staff'])
    expect(list(seenBy(page.url())['x-auth-request-roles'])).toEqual(
      expect.arrayContaining(['default-roles-gatehouse', 'account:view-profile']),
    )
    expect(list(seenBy(page.url())['x-auth-request-roles'])).not.toContain('admin')
    for (const path of ['/sre-only', '/admins', '/operators']) expect(await status(page, front().origin + unique(path))).toBe(403)
    expect(await status(page, front().origin + unique('/anything-else'))).toBe(200)
  })

  for (const withRd of [false, true]) {
    test(`RP-initiated sign-out ${withRd ? 'with an unregistered' : 'without'} rd returns from Keycloak; the next visit asks for the password`, async () => {
      const { page } = await loggedIn(front(), 'alice', unique('/before-sign-out'))
      // Not registered at Keycloak (only <origin>/oauth2/signed_out is), and different every run.
      const rd = `${front().origin}${unique('/signed-out')}`
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
      // Keycloak accepted id_token_hint + the one registered post_logout_redirect_uri: no Keycloak page, straight back.
      expect(endSession).toHaveLength(1)
      const params = new URL(endSession[0]!).searchParams
      expect(params.get('id_token_hint')).toBeTruthy()
      expect(params.get('post_logout_redirect_uri')).toBe(`${front().origin}/oauth2/signed_out`)
      expect(Boolean(params.get('state'))).toBe(withRd)
      expect(endSession[0]).not.toContain('signed-out')
      if (withRd) {
        // via /oauth2/signed_out, on to rd, a public page (rule `sign-out landing page`): the app sees nobody
        await page.waitForURL((u) => u.href === rd)
        expect(seenBy(rd)['x-auth-request-email'] ?? '').toBe('')
      } else {
        await page.waitForURL((u) => u.href === `${front().origin}/oauth2/signed_out`)
        expect(await page.textContent('h1')).toBe('You are signed out')
        await page.screenshot({ path: join(ARTIFACTS, `${mode}-signed-out.png`) })
      }
      expect((await page.context().cookies()).filter((c) => isSessionCookie(c.name))).toEqual([])
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const REFRESH_MS = SESSION_REFRESH_S * 1000

/** The browser's cookies for this front, as a Cookie header (for requests sent outside the browser). */
async function cookieHeader(ctx: BrowserContext, front: Front): Promise<string> {
  return (await ctx.cookies(front.origin)).map((c) => `${c.name}=${c.value}`).join('; ')
}

/**
 * One request of this session through the front, as an API client sends it (401 or a redirect when the session
 * is gone). `token`: the access token the app received (upstream mode), or the one Gatehouse handed nginx in its
 * auth_request answer (nginx mode: the nginx example does not pass the token on to the app, so the test asks the
 * check endpoint exactly as nginx does).
 */
async function probe(front: Front, cookie: string, path = '/probe'): Promise<{ status: number; token?: string; at: number }> {
  const url = front.origin + unique(path)
  const res = await fetchLoopback(url, { headers: { Cookie: cookie, Accept: 'application/json' }, timeoutMs: 30_000 })
  const at = Date.now()
  if (res.status !== 200) return { status: res.status, at }
  if (front.mode === 'upstream') return { status: 200, token: seenBy(url)['x-auth-request-access-token'] as string, at }
  const check = await fetchLoopback(`${front.gatehouse.origin}/oauth2/auth`, {
    headers: { Cookie: cookie, 'X-Original-URL': front.origin + unique(path), 'X-Original-Method': 'GET' },
    timeoutMs: 30_000,
  })
  // the check endpoint allows with 202 (nginx passes any 2xx)
  return { status: check.status === 202 ? 200 : check.status, token: check.headers['x-auth-request-access-token'] as string, at: Date.now() }
}

const ended = (status: number) => status === 401 || status === 302 || status === 303

/** Probes every `stepMs` until the session is refused; the milliseconds from `since` to the refusal. */
async function untilEnded(front: Front, cookie: string, since: number, limitMs: number, stepMs: number): Promise<number> {
  for (;;) {
    const { status, at } = await probe(front, cookie)
    if (ended(status)) return at - since
    expect([status, at - since <= limitMs]).toEqual([200, true])
    await sleep(stepMs)
  }
}

async function refreshCount(front: Front): Promise<number> {
  const text = (await fetchLoopback(`${front.metrics}/metrics`)).body
  const line = text.split('\n').find((l) => l.startsWith('gatehouse_session_refresh_total') && l.includes('result="success"'))
  return line ? Number(line.split(' ').pop()) : 0
}

const latencies: string[] = []
afterAll(() => {
  if (latencies.length) console.log(`session lifecycle against Keycloak:\n  ${latencies.join('\n  ')}`)
})

describe.each(MODES)('session lifecycle against Keycloak, Gatehouse in %s mode', (mode) => {
  const front = () => s().fronts[mode]

  test(`an admin logout of the user's Keycloak sessions ends the Gatehouse session within session.refresh (${SESSION_REFRESH_S}s)`, async () => {
    const admin = s().keycloak.admin
    const { ctx } = await loggedIn(front(), 'alice', unique('/admin-logout'))
    const cookie = await cookieHeader(ctx, front())
    expect((await probe(front(), cookie)).status).toBe(200)
    // No back-channel logout URL on the client here: only the revalidation can notice.
    await admin.logoutUser(REALM, await admin.userId(REALM, 'alice'))
    const ms = await untilEnded(front(), cookie, Date.now(), REFRESH_MS + 2_000, 200)
    latencies.push(`${mode}: admin logout -> refused after ${ms} ms (session.refresh ${SESSION_REFRESH_S}s)`)
  }, 120_000)

  test('back-channel logout configured on the gatehouse client ends the Gatehouse session at once (admin logout, RP sign-out of another session)', async () => {
    const admin = s().keycloak.admin
    // Keycloak reaches Gatehouse on loopback: its own listener, also behind nginx (not the https front).
    const previous = await admin.setClientAttributes(REALM, 'gatehouse', {
      'backchannel.logout.url': `${front().gatehouse.origin}/oauth2/backchannel_logout`,
      'backchannel.logout.session.required': 'true',
    })
    try {
      // 1. the admin ends alice's sessions: Keycloak posts a logout token before its admin call returns
      const first = await loggedIn(front(), 'alice', unique('/backchannel-admin'))
      const cookie = await cookieHeader(first.ctx, front())
      expect((await probe(front(), cookie)).status).toBe(200)
      const before = Date.now()
      await admin.logoutUser(REALM, await admin.userId(REALM, 'alice'))
      const after = await probe(front(), cookie)
      expect(after.status).not.toBe(200)
      latencies.push(`${mode}: back-channel (admin logout) -> refused on the first request, ${after.at - before} ms after the admin call began`)

      // 2. a second Gatehouse session of the same Keycloak session (another browser holding the SSO cookie) signs out
      const one = await loggedIn(front(), 'alice', unique('/backchannel-rp-one'))
      const oneCookie = await cookieHeader(one.ctx, front())
      const two = await newPage()
      // Keycloak's SSO cookies (path /realms/gatehouse/): the other browser is the same Keycloak session
      const kcHost = new URL(s().keycloak.origin).hostname
      await two.ctx.addCookies((await one.ctx.cookies()).filter((c) => c.domain === kcHost))
      const url = front().origin + unique('/backchannel-rp-two')
      await two.page.goto(url)
      await two.page.waitForURL((u) => u.href === url) // silent SSO: no password asked
      expect(await cookieHeader(two.ctx, front())).not.toBe(oneCookie)
      expect((await probe(front(), oneCookie)).status).toBe(200)
      const signOut = `${front().origin}/oauth2/sign_out`
      const t0 = Date.now()
      await two.page.goto(signOut)
      if (new URL(signOut).protocol === 'http:') {
        await Promise.all([two.page.waitForURL((u) => u.origin !== front().origin || u.pathname !== '/oauth2/sign_out'), two.page.click('#sign-out')])
      }
      await two.page.waitForURL((u) => u.pathname === '/oauth2/signed_out')
      const rp = await probe(front(), oneCookie)
      expect(rp.status).not.toBe(200)
      latencies.push(`${mode}: back-channel (RP sign-out of a sibling session) -> refused on the first request, ${rp.at - t0} ms after the sign-out began`)
    } finally {
      await admin.setClientAttributes(REALM, 'gatehouse', previous)
    }
  }, 180_000)

  test('refresh-token rotation on: 30 concurrent requests at refresh time all pass, with one refresh, and the session stays valid', async () => {
    const admin = s().keycloak.admin
    // The realm really rotates: a refresh token used twice is refused (and Keycloak then ends the session).
    const grant = await admin.passwordGrant(REALM, 'gatehouse', CLIENT_SECRET, 'bob', 'bob')
    const rotated = await admin.refreshGrant(REALM, 'gatehouse', CLIENT_SECRET, grant.refresh_token!)
    expect(rotated.refresh_token).not.toBe(grant.refresh_token)
    await expect(admin.refreshGrant(REALM, 'gatehouse', CLIENT_SECRET, grant.refresh_token!)).rejects.toThrow(/400.*invalid_grant/)

    const { ctx } = await loggedIn(front(), 'alice', unique('/rotation'))
    const cookie = await cookieHeader(ctx, front())
    for (let round = 1; round <= 2; round++) {
      await sleep(REFRESH_MS + 500)
      const refreshes = await refreshCount(front())
      const statuses = await Promise.all(
        Array.from({ length: 30 }, async () => {
          const res = await fetchLoopback(front().origin + unique('/concurrent'), {
            headers: { Cookie: cookie, Accept: 'application/json' },
            timeoutMs: 30_000,
          })
          return res.status
        }),
      )
      expect(statuses).toEqual(Array(30).fill(200))
      expect(await refreshCount(front())).toBe(refreshes + 1)
    }
    // the rotated refresh token was kept: the next revalidation works too
    await sleep(REFRESH_MS + 500)
    expect((await probe(front(), cookie)).status).toBe(200)
  }, 120_000)

  test('passAccessToken: the app never receives an expired access token (3-second tokens, across refreshes)', async () => {
    const admin = s().keycloak.admin
    // Shorter than session.refresh: only the access-token margin can keep the passed token fresh.
    const previous = await admin.setClientAttributes(REALM, 'gatehouse', { 'access.token.lifespan': '3' })
    try {
      const { ctx } = await loggedIn(front(), 'alice', unique('/pass-token'))
      const cookie = await cookieHeader(ctx, front())
      const tokens = new Set<string>()
      let first: { iat: number; exp: number } | undefined
      const stale: string[] = []
      const until = Date.now() + 12_000
      while (Date.now() < until) {
        const { status, token, at } = await probe(front(), cookie)
        expect(status).toBe(200)
        expect(token).toBeTruthy()
        const { iat, exp } = decodeJwt(token!) as { iat: number; exp: number }
        first ??= { iat, exp }
        tokens.add(token!)
        // `at` is after the app had it: exp (whole seconds) must still be ahead
        if (exp * 1000 <= at) stale.push(`exp ${exp} received by ${at / 1000}`)
        await sleep(250)
      }
      expect(first!.exp - first!.iat).toBe(3) // Keycloak took the 3-second lifespan as is
      expect(stale).toEqual([])
      expect(tokens.size).toBeGreaterThanOrEqual(4)
      latencies.push(`${mode}: passAccessToken with 3 s tokens: ${tokens.size} tokens in 12 s, none expired on arrival`)
    } finally {
      await admin.setClientAttributes(REALM, 'gatehouse', previous)
    }
  }, 120_000)
})

describe('Keycloak stopped and started again', () => {
  test('sessions keep working until their refresh is due, then 401; new logins get a Gatehouse error page; everything recovers without a restart', async () => {
    const sessions = new Map<Mode, { page: Page; cookie: string }>()
    for (const mode of MODES) {
      const { ctx, page } = await loggedIn(s().fronts[mode], 'alice', unique('/before-outage'))
      sessions.set(mode, { page, cookie: await cookieHeader(ctx, s().fronts[mode]) })
    }
    // Revalidate both sessions just before the stop: each is due again REFRESH_MS after its access token's iat.
    await sleep(REFRESH_MS + 500)
    const due = new Map<Mode, number>()
    for (const mode of MODES) {
      const { status, token } = await probe(s().fronts[mode], sessions.get(mode)!.cookie)
      expect(status).toBe(200)
      due.set(mode, decodeJwt(token!).iat! * 1000 + REFRESH_MS)
    }

    const stopping = Date.now()
    await s().keycloak.stop()
    const stopped = Date.now()
    try {
      await outage(sessions, due, stopping, stopped)
    } finally {
      await s().keycloak.start()
    }
    for (const mode of MODES) {
      const front = s().fronts[mode]
      // the refused revalidation kept the session: it is revalidated now, with the same refresh token
      expect((await probe(front, sessions.get(mode)!.cookie, '/after-outage')).status).toBe(200)
      expect(await status(sessions.get(mode)!.page, front.origin + unique('/after-outage'))).toBe(200)
      const { page } = await loggedIn(front, 'bob', unique('/login-after-outage'))
      expect(seenBy(page.url())['x-auth-request-preferred-username']).toBe('bob')
    }
  }, 600_000)
})

/** While Keycloak is down: each session works until its refresh is due, then is refused; new visitors get a page. */
async function outage(sessions: Map<Mode, { page: Page; cookie: string }>, due: Map<Mode, number>, stopping: number, stopped: number) {
  // Both sessions at once: each is probed from the stop until its refresh is due and refused.
  const answered = await Promise.all(
    MODES.map(async (mode) => {
      const answers: { status: number; vsDue: number }[] = []
      for (;;) {
        const { status, at } = await probe(s().fronts[mode], sessions.get(mode)!.cookie, '/during-outage')
        answers.push({ status, vsDue: at - due.get(mode)! })
        if (status !== 200 || at > due.get(mode)! + 3_000) return answers
        await sleep(200)
      }
    }),
  )
  for (const [i, mode] of MODES.entries()) {
    const front = s().fronts[mode]
    const answers = answered[i]!
    // An existing session does not need the IdP until its refresh is due (iat has whole seconds: 1 s of slack),
    // then it is refused like no session: 401, or where a login would start, Gatehouse's 502 page (the IdP is down).
    const last = answers.at(-1)!
    expect([mode, ended(last.status) || last.status === 502, last]).toEqual([mode, true, last])
    expect(last.vsDue).toBeGreaterThanOrEqual(-1_000)
    for (const a of answers.slice(0, -1)) expect(a.vsDue).toBeLessThan(1_000)
    if (stopped < due.get(mode)! - 1_000) expect(answers.length).toBeGreaterThan(1)
    latencies.push(
      `${mode}: Keycloak down (stop took ${stopped - stopping} ms): ${answers.length - 1} answers 200, then ${last.status} ${last.vsDue} ms after the refresh was due`,
    )
    // a new visitor gets Gatehouse's own page, not the browser's connection error
    const { page } = await newPage()
    const res = await page.goto(front.origin + unique('/new-visitor'))
    expect(res?.status()).toBe(502)
    expect(new URL(page.url()).origin).toBe(front.origin)
    expect(await page.textContent('body')).toMatch(/identity provider could not be reached/i)
    await page.screenshot({ path: join(ARTIFACTS, `${mode}-keycloak-down.png`) })
  }
}

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

