import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import {
  canonicalHeaderName,
  connectionNamesIdentity,
  DEFAULT_IDENTITY_LIKE,
  identityCheckFor,
  identityHeaderCheck,
  isIdentityHeader,
  stripIdentityHeaders,
} from '../../../src/headers/strip.js'
import { ACCESS_TOKEN_HEADER, IDENTITY_HEADERS } from '../../../src/headers/identity.js'
import { assertProperty, spellings } from '../../helpers/property.js'
import { configSchema } from '../../../src/config/schema.js'
import { headerMapping } from '../../../src/headers/mapping.js'

/** Written out here, not imported: deleting a name from the source list must fail this test. */
const EXPECTED_DEFAULTS = [
  'X-Forwarded-User',
  'X-Forwarded-Email',
  'X-Forwarded-Groups',
  'X-Forwarded-Preferred-Username',
  'X-Forwarded-Access-Token',
  'X-Remote-User',
  'X-Remote-Email',
  'X-Remote-Groups',
  'X-WEBAUTH-USER',
  'X-WEBAUTH-EMAIL',
  'X-WEBAUTH-NAME',
  'X-Authenticated-User',
  'X-User',
  'X-Email',
  'Remote-User',
  'Remote-Email',
  'Remote-Groups',
  'Remote-Name',
  'Gap-Auth',
  'Gap-Signature',
]

describe('identity-like headers', () => {
  it('the built-in list is exactly the documented one', () => {
    expect([...DEFAULT_IDENTITY_LIKE]).toEqual(EXPECTED_DEFAULTS)
  })

  it.each([...EXPECTED_DEFAULTS, ...IDENTITY_HEADERS, ACCESS_TOKEN_HEADER, 'X-Auth-Request-Anything'])('%s is identity-like in every spelling', (name) => {
    assertProperty(
      fc.property(spellings(name), (spelled) => {
        expect(isIdentityHeader(spelled)).toBe(true)
        const headers: Record<string, string> = { [spelled.toLowerCase()]: 'x', accept: '*/*' }
        expect(stripIdentityHeaders(headers)).toBe(1)
        expect(Object.keys(headers)).toEqual(['accept'])
        expect(connectionNamesIdentity(`keep-alive, ${spelled}`, isIdentityHeader)).toBe(true)
      }),
      30,
    )
  })

  it('leaves ordinary headers alone', () => {
    for (const name of ['authorization', 'cookie', 'x-forwarded-for', 'x-forwarded-host', 'user-agent', 'x-user-agent', 'remote-addr', 'x-authority', 'x-auth-request']) {
      expect(isIdentityHeader(name)).toBe(false)
    }
    expect(connectionNamesIdentity('keep-alive, Upgrade', isIdentityHeader)).toBe(false)
    expect(connectionNamesIdentity(undefined, isIdentityHeader)).toBe(false)
  })

  it('a Connection header given as several values is read token by token', () => {
    expect(connectionNamesIdentity(['keep-alive', 'X-Auth-Request-User'], isIdentityHeader)).toBe(true)
    expect(connectionNamesIdentity(['X-Remote-User', 'close'], isIdentityHeader)).toBe(true)
    expect(connectionNamesIdentity(['keep-alive', 'Upgrade'], isIdentityHeader)).toBe(false)
  })

  it('headers.identityLike appends names (any spelling) and cannot remove a built-in one', () => {
    const check = identityHeaderCheck(['X-Portal-User', 'legacy_login'])
    expect(check('x_portal_user')).toBe(true)
    expect(check('Legacy-Login')).toBe(true)
    expect(check('remote-user')).toBe(true)
    expect(isIdentityHeader('x-portal-user')).toBe(false)
  })

  it('canonical names fold case, `_` and `.`', () => {
    expect(canonicalHeaderName('X_Auth.Request-USER')).toBe('x-auth-request-user')
  })

  it('a config\'s check covers every name its header mapping sets and the assertion header, in every spelling (property)', () => {
    const headerName = fc.stringMatching(/^X-[A-Za-z][A-Za-z0-9-]{0,12}$/)
    assertProperty(
      fc.property(
        fc.subarray(['xauthrequest', 'forwarded'] as const),
        fc.boolean(),
        fc.uniqueArray(headerName, { maxLength: 4, selector: canonicalHeaderName }),
        fc.option(headerName, { nil: undefined }),
        (presets, passAccessToken, names, assertionHeader) => {
          const headers = Object.freeze(
            configSchema.shape.headers.parse({
              presets,
              passAccessToken,
              custom: names.map((name, i) => ({ name, field: i % 2 ? 'groups' : 'access_token' })),
              assertion: assertionHeader ? { enabled: true, header: assertionHeader } : {},
            }),
          )
          const check = identityCheckFor(headers)
          const expected = [...headerMapping(headers).names, ...(assertionHeader ? [assertionHeader] : [])]
          expect(expected.length).toBeGreaterThanOrEqual(names.length)
          for (const name of expected) {
            for (const spelled of fc.sample(spellings(name), { numRuns: 3, seed: name.length })) expect(check(spelled)).toBe(true)
          }
          expect(check('authorization')).toBe(false)
        },
      ),
      100,
    )
  })
})

describe('the check of a config', () => {
  it('is built once per config version; another version gets its own', () => {
    const a = Object.freeze(configSchema.shape.headers.parse({}))
    const b = Object.freeze(configSchema.shape.headers.parse({ identityLike: ['X-Portal-User'] }))
    expect(identityCheckFor(a)).toBe(identityCheckFor(a))
    expect(identityCheckFor(b)).not.toBe(identityCheckFor(a))
    expect(identityCheckFor(b)('x_portal_user')).toBe(true)
    expect(identityCheckFor(a)('x_portal_user')).toBe(false)
  })
})

describe('the assertion header of a config', () => {
  it('is identity-like in every spelling while the assertion is enabled, a free name while it is disabled (Gatehouse sets no such header then)', () => {
    for (const header of ['X-App-Assertion', 'X-Gatehouse-Assertion']) {
      const config = (enabled: boolean) => Object.freeze(configSchema.shape.headers.parse({ assertion: { enabled, header } }))
      const on = identityCheckFor(config(true))
      const off = identityCheckFor(config(false))
      assertProperty(
        fc.property(spellings(header), (spelled) => {
          expect(on(spelled)).toBe(true)
          expect(off(spelled)).toBe(false)
        }),
        30,
      )
    }
  })
})
