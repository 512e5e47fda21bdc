import { describe, expect, it } from '@jest/globals'
import { SessionEndedError, UpstreamIdpError } from '../../../src/errors.js'
import { createLogger } from '../../../src/logger.js'
import { createMetrics } from '../../../src/metrics.js'
import type { LoginResult, Provider, RefreshInput } from '../../../src/plugin.js'
import { createRefresher } from '../../../src/session/refresh.js'
import type { Session } from '../../../src/session/session.js'
import { createSessionShared } from '../../../src/session/shared.js'
import { identity } from '../../helpers/session.js'

const now = () => Math.floor(Date.now() / 1000)

function setup(refresh: (input: RefreshInput) => Promise<LoginResult>, o: { passesAccessToken?: boolean; expireSeconds?: number } = {}) {
  const calls: RefreshInput[] = []
  const provider = {
    id: 'corp',
    refresh: (input: RefreshInput) => {
      calls.push(input)
      return refresh(input)
    },
  } as unknown as Provider
  const shared = createSessionShared(100, createLogger('silent'))
  const refresher = createRefresher({
    providers: new Map([['corp', provider]]),
    refreshSeconds: 300,
    passesAccessToken: o.passesAccessToken ?? false,
    expireSeconds: o.expireSeconds ?? 3600,
    shared,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger('silent'),
  })
  return { refresher, calls, shared }
}

const session = (over: Partial<Session> = {}): Session => ({
  id: 'session-1',
  identity: identity(),
  refreshToken: 'rt-1',
  accessToken: 'at-1',
  createdAt: now() - 1000,
  refreshedAt: now() - 400,
  expiresAt: now() + 2600,
  ...over,
})

describe('session refresh', () => {
  it('answers a session that is not due without asking the IdP', () => {
    const { refresher, calls } = setup(async () => ({ identity: identity() }))
    const s = session({ refreshedAt: now() - 10 })
    expect(refresher.current(s, 'ticket')).toBe(s)
    expect(calls).toHaveLength(0)
  })

  it('runs one refresh for any number of concurrent callers, and keeps the rotated refresh token', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const { refresher, calls } = setup(async () => {
      await gate
      return { identity: identity(), accessToken: 'at-2', refreshToken: 'rt-2', accessExpiresAt: now() + 300 }
    })
    const s = session()
    const pending = Array.from({ length: 20 }, () => refresher.current(s, 'ticket'))
    release()
    const results = await Promise.all(pending)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.refreshToken).toBe('rt-1')
    for (const r of results) expect(r).toMatchObject({ id: 'session-1', accessToken: 'at-2', refreshToken: 'rt-2' })
  })

  it('caps the session at cookie.expire from login and at refresh_expires_in', async () => {
    const s = session()
    const far = setup(async () => ({ identity: identity(), refreshExpiresAt: now() + 100_000 }), { expireSeconds: 3600 })
    expect((await far.refresher.current(s, 't'))!.expiresAt).toBe(s.createdAt + 3600)
    const limit = now() + 60
    const near = setup(async () => ({ identity: identity(), refreshExpiresAt: limit }), { expireSeconds: 3600 })
    const renewed = (await near.refresher.current(s, 't'))!
    expect(renewed.expiresAt).toBe(limit)
    expect(renewed.identity.expiresAt).toBe(renewed.expiresAt)
  })

  it.each([
    ['SessionEndedError', () => new SessionEndedError('invalid_grant')],
    ["a plugin's error with status 401", () => Object.assign(new Error('refused'), { status: 401 })],
  ])('a refusal (%s) ends the session and revokes its id', async (_what, error) => {
    const { refresher, shared } = setup(async () => {
      throw error()
    })
    const s = session()
    expect(await refresher.current(s, 't')).toBeUndefined()
    expect(shared.revocations.isRevoked(s)).toBe(true)
  })

  it('an IdP that cannot be reached refuses the request but keeps the session', async () => {
    const { refresher, shared } = setup(async () => {
      throw new UpstreamIdpError('down')
    })
    const s = session()
    await expect(refresher.current(s, 't')).rejects.toThrow(UpstreamIdpError)
    expect(shared.revocations.isRevoked(s)).toBe(false)
  })

  it('with passAccessToken, is due before the access token expires', () => {
    const { refresher } = setup(async () => ({ identity: identity() }), { passesAccessToken: true })
    const t = now()
    expect(refresher.dueAt(session({ refreshedAt: t, accessExpiresAt: t + 300 }))).toBe(t + 270)
    expect(refresher.dueAt(session({ refreshedAt: t, accessExpiresAt: t + 4 }))).toBe(t + 2)
  })
})
