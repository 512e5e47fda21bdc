/**
 * /oauth2/start when the IdP has gone away after discovery was cached: Gatehouse answers with its own 502 page
 * instead of sending the browser to a dead host, and sends it again as soon as the IdP is back (no restart).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DEMO_USERS, startRealm } from '../../dev/devidp/realm.js'
import { startStack, type Stack } from '../helpers/stack.js'

// The start route reuses a successful reachability answer for one second.
const PAST_PROBE_TTL_MS = 1100

describe('sign-in start while the IdP is down', () => {
  let stack: Stack
  let revived: { close(): Promise<void> } | undefined
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(async () => {
    await revived?.close()
    await stack.gatehouse.close()
  })

  const start = () => fetch(`${stack.url}/oauth2/start?rd=${encodeURIComponent(`${stack.url}/x`)}`, { redirect: 'manual', headers: { accept: 'text/html' } })

  it('redirects while up, serves a 502 page without state cookies while down, and redirects again once it is back', async () => {
    const up = await start()
    expect(up.status).toBe(302)
    expect(up.headers.get('location')!.startsWith(`${stack.realm.issuer}/protocol/openid-connect/auth?`)).toBe(true)

    const { port, realm } = stack.realm
    await stack.realm.close()
    await new Promise((r) => setTimeout(r, PAST_PROBE_TTL_MS))
    const down = await start()
    expect(down.status).toBe(502)
    expect(down.headers.get('location')).toBeNull()
    expect(down.headers.get('set-cookie')).toBeNull()
    const body = await down.text()
    expect(body).toContain('The identity provider could not be reached')
    expect(body).not.toContain(String(port))

    revived = await startRealm({
      port,
      realm,
      users: DEMO_USERS,
      clients: [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [`${stack.url}/oauth2/callback`] }],
    })
    const back = await start()
    expect(back.status).toBe(302)
    expect(back.headers.get('location')!.startsWith(`${stack.realm.issuer}/protocol/openid-connect/auth?`)).toBe(true)
  })
})
