import { describe, expect, it } from '@jest/globals'
import { buildConfig } from '../../../src/config/load.js'
import { cookieName } from '../../../src/config/cookie-name.js'
import { ConfigError } from '../../../src/errors.js'
import { randomSecret } from '../../helpers/stack.js'

const https = new URL('https://auth.example.com')
const http = new URL('http://localhost:4180')

describe('cookieName', () => {
  it('defaults to the strongest prefix the settings allow', () => {
    expect(cookieName({ domains: [] }, https)).toEqual({ name: '__Host-_gatehouse', problems: [] })
    expect(cookieName({ domains: ['.example.com'] }, https)).toEqual({ name: '__Secure-_gatehouse', problems: [] })
    expect(cookieName({ domains: [] }, http).name).toBe('_gatehouse')
    expect(cookieName({ domains: [], secure: false }, https).name).toBe('_gatehouse')
    expect(cookieName({ domains: [], secure: true }, http).name).toBe('__Host-_gatehouse')
  })

  it('keeps an explicit name, and refuses prefixes the settings break', () => {
    expect(cookieName({ name: '_oauth2_proxy', domains: ['.example.com'] }, http)).toEqual({ name: '_oauth2_proxy', problems: [] })
    expect(cookieName({ name: '__Host-s', domains: ['.example.com'] }, https).problems).toEqual([expect.stringMatching(/^cookie\.name: .*cannot have a domain/)])
    expect(cookieName({ name: '__host-s', domains: [] }, http).problems).toEqual([expect.stringMatching(/^cookie\.name: .*must be secure/)])
    expect(cookieName({ name: '__Secure-s', domains: [], secure: false }, https).problems).toEqual([expect.stringMatching(/^cookie\.name: .*must be secure/)])
    expect(cookieName({ name: '__Secure-s', domains: ['.example.com'] }, https).problems).toEqual([])
  })

  it('is reported with its key path by the config loader', async () => {
    const load = () =>
      buildConfig({
        server: { publicUrl: 'https://auth.example.com' },
        cookie: { secret: randomSecret(), name: '__Host-x', domains: ['.example.com'] },
        providers: [{ id: 'corp', type: 'keycloak', issuer: 'https://idp.example.com/realms/x', clientId: 'c', clientSecret: 's' }],
        authorization: {},
      })
    await expect(load()).rejects.toBeInstanceOf(ConfigError)
    await expect(load()).rejects.toThrow(/cookie\.name: a "__Host-" cookie cannot have a domain/)
  })
})
