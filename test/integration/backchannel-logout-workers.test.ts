import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { signIn } from '../helpers/login.js'
import { waitFor } from '../helpers/wait.js'
import { startWorkersStack, type WorkersStack } from '../helpers/serve-process.js'

describe('revocation across server.workers', () => {
  let stack: WorkersStack
  beforeAll(async () => {
    stack = await startWorkersStack({ name: 'bcl', backchannel: true })
  }, 240_000)
  afterAll(() => stack?.close(), 90_000)

  it('a back-channel logout received by one worker is refused by every worker at once', async () => {
    const cookie = await signIn(stack.url, 'alice')
    // Every worker has verified (and cached) the session.
    expect(await stack.statuses(cookie)).toEqual(Array(12).fill(202))
    expect(await stack.realm.admin.backchannelLogout(stack.realm.subjectOf('alice'))).toEqual([200])
    // IPC through the primary is asynchronous: a bound for a loaded machine, not a speed claim.
    expect(await waitFor(async () => (await stack.statuses(cookie)).every((s) => s === 401), 20_000)).toBe(true)
    expect(await stack.statuses(cookie)).toEqual(Array(12).fill(401))
  }, 60_000)

  it('a copy of a signed-out cookie is refused by every worker', async () => {
    const cookie = await signIn(stack.url, 'bob')
    expect(await stack.statuses(cookie)).toEqual(Array(12).fill(202))
    const out = await fetch(`${stack.url}/oauth2/sign_out`, { headers: { cookie, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' })
    expect(out.status).toBe(302)
    expect(await waitFor(async () => (await stack.statuses(cookie)).every((s) => s === 401), 20_000)).toBe(true)
    expect(stack.serve.stderr()).not.toMatch(/error/i)
  }, 60_000)
})
