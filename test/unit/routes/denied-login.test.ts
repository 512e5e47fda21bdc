import { randomBytes } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import type { Runtime } from '../../../src/runtime.js'
import { deniedLogins, displayName } from '../../../src/routes/denied-login.js'

const runtime = (name = '_gatehouse', keys = [randomBytes(32)]) =>
  ({ config: { cookie: { name, keys, secure: true, csrfExpireSeconds: 900 } } }) as unknown as Runtime
const asHeader = (setCookie: string) => setCookie.split(';')[0]!

describe('the refused-login cookie', () => {
  const rt = runtime()
  const login = { who: 'bob@example.com', provider: 'corp', idToken: 'a.b.c', rd: 'https://app.example.com/' }

  it('round-trips until it expires, HttpOnly and Lax under /oauth2/', () => {
    const now = Date.now()
    const set = deniedLogins(rt).set(login, now)
    expect(set).toMatch(/^_gatehouse_denied=1\.[\w-]+; Path=\/oauth2\/; Max-Age=900; .*HttpOnly; Secure; SameSite=Lax$/)
    expect(deniedLogins(rt).read(asHeader(set), now + 899_000)).toMatchObject(login)
    expect(deniedLogins(rt).read(asHeader(set), now + 901_000)).toBeUndefined()
    expect(deniedLogins(rt).present(asHeader(set))).toBe(true)
    expect(deniedLogins(rt).clear()).toMatch(/^_gatehouse_denied=; Path=\/oauth2\/; Max-Age=0/)
  })

  it('a __Host- name puts it under / as browsers require', () => {
    expect(deniedLogins(runtime('__Host-gh')).set(login)).toMatch(/^__Host-gh_denied=1\.[\w-]+; Path=\/;/)
  })

  it('opens only with our key and purpose; anything else reads as no login', () => {
    const set = asHeader(deniedLogins(rt).set(login))
    expect(deniedLogins(runtime()).read(set)).toBeUndefined()
    expect(deniedLogins(rt).read(set.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).toBeUndefined()
    expect(deniedLogins(rt).read('_gatehouse_denied=junk')).toBeUndefined()
  })

  it('drops an ID token that would push the cookie past what browsers keep, and keeps the rest', () => {
    const set = deniedLogins(rt).set({ ...login, idToken: 'x'.repeat(5000) })
    expect(set.length).toBeLessThan(4096)
    const read = deniedLogins(rt).read(asHeader(set))!
    expect(read.idToken).toBeUndefined()
    expect(read.who).toBe('bob@example.com')
  })

  it('names the account by email, else login', () => {
    expect(displayName({ email: 'a@b.c', preferredUsername: 'a', user: 'u' })).toBe('a@b.c')
    expect(displayName({ preferredUsername: 'octocat', user: '123' })).toBe('octocat')
    expect(displayName({ user: '123' })).toBe('123')
  })
})
