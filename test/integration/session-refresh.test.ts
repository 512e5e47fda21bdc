import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { signIn } from '../helpers/login.js'
import { startStack, type Stack } from '../helpers/stack.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const REFRESH_MS = 2000

describe('session refresh against the dev realm (short-lived, rotating tokens)', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack({
      realm: { ttl: { accessToken: 4, refreshToken: 60 }, rotateRefreshToken: true },
      config: { session: { refresh: '2s' }, headers: { passAccessToken: true } },
    })
  })
  afterAll(() => stack.close())

  const auth = (cookie: string) => fetch(`${stack.url}/oauth2/auth`, { headers: { cookie } })

  it('the app always receives an unexpired access token, renewed after expiry', async () => {
    const cookie = await signIn(stack.url, 'alice')
    const seen = new Set<string>()
    for (let i = 0; i < 12; i++) {
      const res = await auth(cookie)
      expect(res.status).toBe(202)
      const token = res.headers.get('x-auth-request-access-token')!
      // The realm's userinfo endpoint accepts only an unexpired access token.
      const info = await fetch(`${stack.realm.issuer}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${token}` } })
      expect(info.status).toBe(200)
      seen.add(token)
      await sleep(500)
    }
    // 6 s with 4 s tokens: at least one renewal, and the session went on.
    expect(seen.size).toBeGreaterThan(1)
  })

  it('50 concurrent requests at refresh time cause exactly one refresh', async () => {
    const cookie = await signIn(stack.url, 'bob')
    expect((await auth(cookie)).status).toBe(202)
    await sleep(REFRESH_MS + 200)
    const before = stack.realm.admin.refreshes()
    // Coalescing is per refresh interval of wall-clock time: if machine load stretches the 50 requests past
    // one interval, a second refresh is due; at most one per started interval, measured around them.
    const started = Date.now()
    const answers = await Promise.all(Array.from({ length: 50 }, () => auth(cookie)))
    expect(answers.map((r) => r.status)).toEqual(Array(50).fill(202))
    const refreshed = stack.realm.admin.refreshes() - before
    expect(refreshed).toBeGreaterThanOrEqual(1)
    expect(refreshed).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / REFRESH_MS))
    // The rotated refresh token was kept: the next refresh works too.
    await sleep(REFRESH_MS + 200)
    expect((await auth(cookie)).status).toBe(202)
    expect(stack.realm.admin.refreshes() - before).toBe(refreshed + 1)
  })

  it('a session ended at the IdP (admin) is refused within session.refresh', async () => {
    const cookie = await signIn(stack.url, 'alice')
    expect((await auth(cookie)).status).toBe(202)
    const ended = Date.now()
    await stack.realm.admin.endSessions(stack.realm.subjectOf('alice'))
    // Every request that starts a full session.refresh after the end must be refused (the session was last
    // checked before it); judged by each request's start time, so a slow machine cannot fail it.
    let refusedAfter = -1
    const allowedLate: number[] = []
    while (Date.now() - ended < 60_000) {
      const startedAt = Date.now() - ended
      if ((await auth(cookie)).status === 401) {
        refusedAfter = startedAt
        break
      }
      if (startedAt >= REFRESH_MS) allowedLate.push(startedAt)
      await sleep(100)
    }
    expect(allowedLate).toEqual([])
    expect(refusedAfter).toBeGreaterThanOrEqual(0)
    console.log(`admin session end refused after ${refusedAfter} ms (session.refresh ${REFRESH_MS} ms)`)
    // and stays refused, without asking the IdP again on every request
    const before = stack.realm.admin.refreshes()
    expect((await auth(cookie)).status).toBe(401)
    expect(stack.realm.admin.refreshes()).toBe(before)
  }, 90_000)
})
