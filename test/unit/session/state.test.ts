import { describe, expect, it } from '@jest/globals'
import { buildConfig } from '../../../src/config/load.js'
import { createStateCookies } from '../../../src/session/state.js'
import { randomSecret } from '../../helpers/stack.js'

const statesFor = async (publicUrl: string, cookie: Record<string, unknown> = {}) =>
  createStateCookies(
    await buildConfig({
      server: { publicUrl },
      cookie: { secret: randomSecret(), ...cookie },
      providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
      authorization: {},
    }),
  )

describe('state cookies', () => {
  it('live at Path=/ under a __Host- name (browsers drop __Host- cookies with another path)', async () => {
    const states = await statesFor('https://auth.example.com')
    const { setCookies } = states.begin('corp', 'https://app.example.com/', undefined)
    expect(setCookies[0]).toMatch(/^__Host-_gatehouse_csrf_[\w-]+=[^;]+; Path=\/; Max-Age=900; .*HttpOnly; Secure; SameSite=Lax$/)
    expect(setCookies[0]).not.toMatch(/Domain=/)
  })

  it('stay under /oauth2/ otherwise, host-only even with a session cookie domain', async () => {
    const secure = await statesFor('https://auth.example.com', { domains: ['.example.com'] })
    const s = secure.begin('corp', '/', undefined).setCookies[0]!
    expect(s).toMatch(/^__Secure-_gatehouse_csrf_[\w-]+=[^;]+; Path=\/oauth2\/; .*; Secure; SameSite=Lax$/)
    expect(s).not.toMatch(/Domain=/)
    const plain = await statesFor('http://localhost:4180')
    expect(plain.begin('corp', '/', undefined).setCookies[0]).toMatch(/^_gatehouse_csrf_[\w-]+=[^;]+; Path=\/oauth2\/;/)
  })

  it('finds a flow by its own cookie once, and not when the cookie is doubled', async () => {
    const states = await statesFor('https://auth.example.com')
    const a = states.begin('corp', '/a', undefined)
    const b = states.begin('corp', '/b', undefined)
    const pair = (c: string) => c.split(';')[0]!
    expect(states.find(a.flow.state, `${pair(b.setCookies[0]!)}; ${pair(a.setCookies[0]!)}`)?.rd).toBe('/a')
    expect(states.find(a.flow.state, pair(a.setCookies[0]!))).toBeUndefined()
    const c = states.begin('corp', '/c', undefined)
    const cookie = pair(c.setCookies[0]!)
    const name = cookie.slice(0, cookie.indexOf('='))
    // Another flow's sealed value planted under c's name: two values, no trustworthy order.
    expect(states.find(c.flow.state, `${cookie}; ${name}=${pair(b.setCookies[0]!).split('=')[1]}`)).toBeUndefined()
  })
})
