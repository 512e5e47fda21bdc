import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { CookieJarClient, loginAtRealm } from '../fakes/browser.js'
import { startStack, type Stack } from '../helpers/stack.js'

const APP = 'http://app.example.test:8080/x'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function jwksFetches(stack: Stack): Promise<number> {
  const metric = stack.gatehouse.metrics.registry.getSingleMetric('gatehouse_jwks_refresh_total')
  const { values } = (await metric?.get()) ?? { values: [] }
  return values.filter((v) => v.labels.provider === 'corp').reduce((s, v) => s + v.value, 0)
}

/** A whole login; the callback's answer. */
async function login(stack: Stack) {
  const browser = new CookieJarClient()
  const start = await browser.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent(APP)}`)
  const back = await loginAtRealm(browser, start.location!, 'alice', 'alice')
  return browser.get(back.location!)
}

const accessToken = (stack: Stack) =>
  stack.realm.signAccessToken({ sub: stack.realm.subjectOf('alice'), azp: 'gatehouse', email: 'alice@example.com', email_verified: true })
const bearer = async (stack: Stack, token: string) =>
  (await fetch(`${stack.url}/oauth2/auth`, { headers: { authorization: `Bearer ${token}` } })).status

describe('signing key rotation at the IdP', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack.close())

  it('a login right after a rotation succeeds, refetching the key set once', async () => {
    expect((await login(stack)).location).toBe(APP)
    const before = await jwksFetches(stack)
    await stack.realm.rotateKeys()
    const after = await login(stack)
    expect(after.status).toBe(302)
    expect(after.location).toBe(APP)
    expect(await jwksFetches(stack)).toBe(before + 1)
    // The bearer path shares the refreshed key set: a token with the new key passes at once.
    expect(await bearer(stack, await accessToken(stack))).toBe(202)
    expect(await jwksFetches(stack)).toBe(before + 1)
  })

  it('a bearer token signed with a new key is accepted within the 5 s refetch interval', async () => {
    await stack.realm.rotateKeys()
    const token = await accessToken(stack)
    // The last fetch was before the rotation, so any request that starts 5 s after it must refetch and pass.
    // Asserted per request by its start time, not as a total duration (which machine load stretches).
    const rotatedAt = Date.now()
    const late: number[] = []
    for (;;) {
      const startedAt = Date.now() - rotatedAt
      const status = await bearer(stack, token)
      if (status === 202) break
      if (startedAt >= 5000) late.push(startedAt)
      if (startedAt > 60_000) break
      await sleep(250)
    }
    expect(late).toEqual([])
  }, 90_000)

  it('1000 tokens with random kids cause at most one fetch per interval', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () =>
        new SignJWT({ sub: 'x', azp: 'gatehouse', typ: 'Bearer' })
          .setProtectedHeader({ alg: 'RS256', kid: randomUUID() })
          .setIssuer(stack.realm.issuer)
          .setExpirationTime('5m')
          .sign(privateKey),
      ),
    )
    const before = await jwksFetches(stack)
    const started = Date.now()
    for (let i = 0; i < tokens.length; i += 50) {
      const statuses = await Promise.all(tokens.slice(i, i + 50).map((t) => bearer(stack, t)))
      expect(statuses.every((s) => s === 401)).toBe(true)
    }
    const intervals = Math.floor((Date.now() - started) / 5000) + 1
    expect((await jwksFetches(stack)) - before).toBeLessThanOrEqual(intervals)
  }, 120_000)

  it('a login whose ID token no published key verifies fails, after one refetch', async () => {
    // Serve a key set without the realm's keys: the real token's signature can then match nothing.
    const { publicKey } = await generateKeyPair('RS256')
    const foreign = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'foreign', alg: 'RS256', use: 'sig' }] })
    const realFetch = globalThis.fetch
    const spy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) =>
      String(input instanceof Request ? input.url : input).includes('/certs')
        ? Promise.resolve(new Response(foreign, { status: 200, headers: { 'content-type': 'application/json' } }))
        : realFetch(input, init),
    )
    try {
      await stack.realm.rotateKeys()
      const res = await login(stack)
      expect(res.status).toBe(400)
      expect(res.headers.getSetCookie().some((c) => /^_gatehouse=1\./.test(c))).toBe(false)
    } finally {
      spy.mockRestore()
    }
  })
})
