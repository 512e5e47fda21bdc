import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { signIn } from '../helpers/login.js'
import { waitFor } from '../helpers/wait.js'
import { startWorkersStack, type WorkersStack } from '../helpers/serve-process.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A cookie-store session revalidated by two workers at once, against an IdP that rotates refresh
 * tokens (a reused one is refused and ends the grant): the session must survive every refresh.
 */
describe('session refresh across server.workers (cookie store, no Redis)', () => {
  let stack: WorkersStack
  beforeAll(async () => {
    stack = await startWorkersStack({ name: 'refresh-workers', config: 'session: { refresh: 2s }' })
  }, 240_000)
  afterAll(() => stack?.close(), 90_000)

  it('concurrent requests through both workers stay allowed across several refreshes', async () => {
    const cookie = await signIn(stack.url, 'alice')
    const before = stack.realm.admin.refreshes()
    const seen: number[] = []
    const started = Date.now()
    // ~4 refresh periods of 2 s, 12 concurrent requests (both workers) every 100 ms.
    for (const end = Date.now() + 9_000; Date.now() < end; ) {
      seen.push(...(await stack.statuses(cookie)))
      await sleep(100)
    }
    const refused = seen.filter((s) => s !== 202)
    if (refused.length) console.log(stack.stdout().split('\n').filter((l) => !l.includes('"msg":"request"')).join('\n'))
    expect({ refused: refused.length, of: seen.length }).toEqual({ refused: 0, of: seen.length })
    const refreshes = stack.realm.admin.refreshes() - before
    expect(refreshes).toBeGreaterThanOrEqual(2)
    // One refresh at a time: a refreshed session is due again a whole second (epoch seconds) later at the earliest.
    expect(refreshes).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 1)
    expect(stack.stdout()).not.toMatch(/session ended by the IdP/)
  }, 60_000)

  it('a session the IdP ended is refused by every worker at its next refresh', async () => {
    const cookie = await signIn(stack.url, 'bob')
    expect(await stack.statuses(cookie)).toEqual(Array(12).fill(202))
    await stack.realm.admin.endSessions(stack.realm.subjectOf('bob'))
    expect(await waitFor(async () => (await stack.statuses(cookie)).every((s) => s === 401), 20_000)).toBe(true)
  }, 60_000)
})
