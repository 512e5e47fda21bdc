import { describe, expect, it } from '@jest/globals'
import github from '../../providers/github/index.js'
import google, { schemelessIssuer } from '../../providers/google/index.js'
import { createIssuerAliases } from '../../providers/oidc/issuer-aliases.js'
import { isAllowed, primaryVerifiedEmail } from '../../providers/github/identity.js'

describe('github options', () => {
  it('defaults to github.com and derives the GHES API base from baseUrl', () => {
    const dotcom = github.parseOptions({ clientId: 'a', clientSecret: 'b' })
    expect(dotcom).toMatchObject({ ok: true, options: { baseUrl: 'https://github.com', apiUrl: 'https://api.github.com' } })
    const ghes = github.parseOptions({ clientId: 'a', clientSecret: 'b', baseUrl: 'https://ghe.corp.example/' })
    expect(ghes).toMatchObject({ ok: true, options: { baseUrl: 'https://ghe.corp.example', apiUrl: 'https://ghe.corp.example/api/v3' } })
  })

  it('names every problem with its key path', () => {
    const r = github.parseOptions({ clientSecret: 'b', baseUrl: 'http://ghe.local', teams: ['no-slash'], colour: 1 })
    expect(r.ok).toBe(false)
    expect(!r.ok && r.errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/^clientId: /),
      expect.stringMatching(/^teams: .*org\/team-slug/),
      'colour: unknown option',
    ]))
    const insecure = github.parseOptions({ clientId: 'a', clientSecret: 'b', baseUrl: 'http://ghe.local' })
    expect(!insecure.ok && insecure.errors).toEqual([expect.stringMatching(/^baseUrl: must be https/)])
  })
})

describe('github restrictions', () => {
  const none = { users: [], orgs: [], teams: [] }
  it('allows anyone without restrictions, else users OR orgs OR teams, case-insensitively', () => {
    expect(isAllowed(none, 'x', [], [])).toBe(true)
    expect(isAllowed({ ...none, users: ['Mona'] }, 'mona', [], [])).toBe(true)
    expect(isAllowed({ ...none, users: ['Mona'] }, 'other', ['acme'], [])).toBe(false)
    expect(isAllowed({ ...none, orgs: ['ACME'] }, 'x', ['acme'], [])).toBe(true)
    expect(isAllowed({ ...none, teams: ['acme/sre'] }, 'x', ['acme'], [{ org: 'acme', slug: 'dev' }])).toBe(false)
    expect(isAllowed({ ...none, teams: ['acme/sre'] }, 'x', ['acme'], [{ org: 'Acme', slug: 'sre' }])).toBe(true)
  })
  it('takes only a primary, verified address', () => {
    expect(primaryVerifiedEmail([{ email: 'a@x.io', primary: false, verified: true }, { email: 'b@x.io', primary: true, verified: false }])).toBeUndefined()
    expect(primaryVerifiedEmail([{ email: 'B@X.io', primary: true, verified: true }])).toBe('b@x.io')
  })
})

describe('google options', () => {
  it("defaults to Google's issuer and requires credentials for group checks", () => {
    expect(google.parseOptions({ clientId: 'a', clientSecret: 'b' })).toMatchObject({ ok: true, options: { issuer: 'https://accounts.google.com', refresh: false } })
    const r = google.parseOptions({ clientId: 'a', clientSecret: 'b', groups: ['staff@corp.example'] })
    expect(!r.ok && r.errors).toEqual(['serviceAccount: is required when groups are set', 'adminEmail: is required when groups are set'])
    const file = google.parseOptions({ clientId: 'a', clientSecret: 'b', serviceAccount: './no-such-key.json' })
    expect(!file.ok && file.errors).toEqual(['serviceAccount: cannot read the key (ENOENT)'])
    expect(!google.parseOptions({ clientId: 'a', clientSecret: 'b', requireEmailVerified: false }).ok).toBe(true)
  })
})

describe('issuer aliases', () => {
  const mismatch = (iss: string, claim = 'iss') => ({ code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', cause: { cause: { claim, claims: { iss } } } })
  it('accepts exactly the configured scheme-less spelling, nothing else', () => {
    expect(schemelessIssuer('https://accounts.google.com')).toBe('accounts.google.com')
    expect(schemelessIssuer('http://127.0.0.1:8080')).toBe('127.0.0.1:8080')
    const aliases = createIssuerAliases(['accounts.google.com'], { clientId: 'c', clientSecret: 's', insecure: false, timeout: 5 })
    expect(aliases.aliasFor(mismatch('accounts.google.com'))).toBe('accounts.google.com')
    expect(aliases.aliasFor(mismatch('https://evil.example'))).toBeUndefined()
    expect(aliases.aliasFor(mismatch('accounts.google.com', 'aud'))).toBeUndefined()
    expect(aliases.aliasFor(new Error('other'))).toBeUndefined()
  })
})
