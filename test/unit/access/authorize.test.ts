import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { allOf, compileQuery, compileRequirement, type Check } from '../../../src/access/authorize.js'
import type { Identity } from '../../../src/plugin.js'
import { checkProperty } from '../../helpers/property.js'

const who = (over: Partial<Identity> = {}): Identity => ({
  subject: 's',
  user: 'u',
  email: 'alice@example.com',
  groups: [],
  roles: [],
  provider: 'p',
  expiresAt: 2_000_000_000,
  ...over,
})

describe('compileRequirement', () => {
  it('allows everyone without a requirement or with only empty lists', () => {
    expect(compileRequirement(undefined)(who())).toBe(true)
    expect(compileRequirement({})(who({ email: undefined }))).toBe(true)
    expect(compileRequirement({ emails: [], emailDomains: [], groups: [], roles: [] })(who({ email: undefined }))).toBe(true)
  })

  it('matches listed addresses case-insensitively in the list', () => {
    const check = compileRequirement({ emails: ['Alice@Example.com'] })
    expect(check(who())).toBe(true)
    expect(check(who({ email: 'bob@example.com' }))).toBe(false)
    expect(check(who({ email: undefined }))).toBe(false)
  })

  it('matches listed domains with or without a leading @, on the exact domain part', () => {
    for (const d of ['example.com', '@Example.com']) {
      const check = compileRequirement({ emailDomains: [d] })
      expect(check(who())).toBe(true)
      expect(check(who({ email: 'alice@sub.example.com' }))).toBe(false)
      expect(check(who({ email: 'alice@example.com.evil' }))).toBe(false)
      expect(check(who({ email: 'example.com' }))).toBe(false)
    }
  })

  it('drops only a leading @ from a domain entry', () => {
    expect(compileRequirement({ emailDomains: ['ex@mple.com'] })(who({ email: 'a@exmple.com' }))).toBe(false)
  })

  it('refuses addresses with no local part or more than one @, even when the address is listed', () => {
    const check = compileRequirement({ emails: ['a@b@example.com', '@example.com'], emailDomains: ['example.com'] })
    expect(check(who({ email: 'a@b@example.com' }))).toBe(false)
    expect(check(who({ email: '@example.com' }))).toBe(false)
    expect(check(who({ email: 'x@evil.com@example.com' }))).toBe(false)
  })

  it('`*` as a domain accepts any well-formed address but still needs one', () => {
    const check = compileRequirement({ emailDomains: ['*'] })
    expect(check(who({ email: 'x@anything.test' }))).toBe(true)
    expect(check(who({ email: undefined }))).toBe(false)
    expect(check(who({ email: 'no-at-sign' }))).toBe(false)
  })

  it('a listed address or a listed domain satisfies the one email check', () => {
    const check = compileRequirement({ emails: ['bob@other.org'], emailDomains: ['example.com'] })
    expect(check(who())).toBe(true)
    expect(check(who({ email: 'bob@other.org' }))).toBe(true)
    expect(check(who({ email: 'eve@other.org' }))).toBe(false)
  })

  it('groups and roles: any listed entry satisfies its list, every non-empty list must be satisfied', () => {
    const check = compileRequirement({ groups: ['ops', 'dev'], roles: ['admin'] })
    expect(check(who({ groups: ['dev'], roles: ['admin'] }))).toBe(true)
    expect(check(who({ groups: ['dev'], roles: [] }))).toBe(false)
    expect(check(who({ groups: [], roles: ['admin'] }))).toBe(false)
    expect(check(who({ groups: ['x', 'ops'], roles: ['y', 'admin'] }))).toBe(true)
    expect(compileRequirement({ groups: ['ops'] })(who({ roles: ['ops'] }))).toBe(false)
    expect(compileRequirement({ roles: ['ops'] })(who({ groups: ['ops'] }))).toBe(false)
  })

  it('an identity is allowed exactly when it satisfies every non-empty list (generated)', () => {
    const names = fc.subarray(['a', 'b', 'c', 'd'])
    checkProperty(
      fc.property(names, names, names, names, (groups, roles, hasGroups, hasRoles) => {
        const allowed = compileRequirement({ groups, roles })(who({ groups: hasGroups, roles: hasRoles }))
        const expected =
          (groups.length === 0 || hasGroups.some((g) => groups.includes(g))) &&
          (roles.length === 0 || hasRoles.some((r) => roles.includes(r)))
        expect(allowed).toBe(expected)
      }),
    )
  })
})

describe('the allow-all check is one function', () => {
  // rules/gate.ts tells "no query constraints" by identity with compileQuery(''): a public rule stays public then.
  it('every way of saying "no requirement" compiles to the very same check', () => {
    const none = compileRequirement(undefined)
    expect(compileRequirement({})).toBe(none)
    expect(compileRequirement({ emails: [], emailDomains: [], groups: [], roles: [] })).toBe(none)
    expect(allOf([])).toBe(none)
    expect(allOf([none, compileRequirement({})])).toBe(none)
    expect(compileQuery('')).toBe(none)
    expect(compileQuery('rd=/x&allowed_colour=blue')).toBe(none)
  })

  it('one real check is returned as it is, beside any number of allow-alls', () => {
    const only = compileRequirement({ groups: ['ops'] })
    expect(allOf([only])).toBe(only)
    expect(allOf([compileRequirement(undefined), only, compileRequirement({})])).toBe(only)
    expect(compileQuery('allowed_groups=ops')).not.toBe(compileQuery(''))
  })
})

describe('allOf', () => {
  const yes: Check = () => true
  const no: Check = () => false
  it('is the AND of its checks, allowing when there are none', () => {
    expect(allOf([])(who())).toBe(true)
    expect(allOf([no])(who())).toBe(false)
    expect(allOf([yes, no])(who())).toBe(false)
    expect(allOf([no, yes])(who())).toBe(false)
    expect(allOf([yes, yes])(who())).toBe(true)
    expect(allOf([compileRequirement(undefined), no])(who())).toBe(false)
  })
})

describe('compileQuery', () => {
  it('each known parameter restricts its own attribute', () => {
    expect(compileQuery('allowed_groups=ops')(who({ groups: ['ops'] }))).toBe(true)
    expect(compileQuery('allowed_groups=ops')(who({ roles: ['ops'] }))).toBe(false)
    expect(compileQuery('allowed_roles=admin')(who({ roles: ['admin'] }))).toBe(true)
    expect(compileQuery('allowed_roles=admin')(who({ groups: ['admin'] }))).toBe(false)
    expect(compileQuery('allowed_emails=alice@example.com')(who())).toBe(true)
    expect(compileQuery('allowed_emails=alice@example.com')(who({ email: 'bob@example.com' }))).toBe(false)
    expect(compileQuery('allowed_email_domains=example.com')(who())).toBe(true)
    expect(compileQuery('allowed_email_domains=example.com')(who({ email: 'a@other.org' }))).toBe(false)
  })

  it('values within one parameter are ORed, trimmed, empties dropped', () => {
    const check = compileQuery('allowed_groups=%20a%20,,b')
    expect(check(who({ groups: ['a'] }))).toBe(true)
    expect(check(who({ groups: ['b'] }))).toBe(true)
    expect(check(who({ groups: [''] }))).toBe(false)
    expect(check(who({ groups: ['c'] }))).toBe(false)
  })

  it('repeated and different parameters are ANDed', () => {
    const check = compileQuery('allowed_groups=a&allowed_groups=b&allowed_roles=r')
    expect(check(who({ groups: ['a', 'b'], roles: ['r'] }))).toBe(true)
    expect(check(who({ groups: ['a'], roles: ['r'] }))).toBe(false)
    expect(check(who({ groups: ['a', 'b'] }))).toBe(false)
  })

  it('a known parameter with an empty list denies everyone; unknown parameters are ignored', () => {
    for (const q of ['allowed_groups=', 'allowed_roles=,', 'allowed_emails=%20', 'allowed_email_domains=']) {
      expect(compileQuery(q)(who({ groups: ['a'], roles: ['r'] }))).toBe(false)
    }
    expect(compileQuery('')(who())).toBe(true)
    expect(compileQuery('allowed_colour=blue&rd=/x')(who())).toBe(true)
  })
})
