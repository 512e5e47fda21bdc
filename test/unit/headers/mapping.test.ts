import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { validateHeaderValue } from 'node:http'
import { configSchema, type RawConfig } from '../../../src/config/schema.js'
import { headerMapping, headerSafe, joinList, mappingProblems, passesAccessToken, type HeaderList } from '../../../src/headers/mapping.js'
import { identityHeaderValues } from '../../../src/headers/identity.js'
import type { Identity } from '../../../src/plugin.js'
import { identity } from '../../helpers/session.js'
import { pairsOf } from '../../helpers/headers.js'
import { assertProperty, spellings } from '../../helpers/property.js'

/** `headers:` as the schema fills it in (frozen like a loaded config). */
function headersConfig(input: Record<string, unknown> = {}): RawConfig['headers'] {
  const parsed = configSchema.shape.headers.parse(input)
  return Object.freeze(parsed)
}

const alice = identity({ user: 'u-1', email: 'alice@example.com', preferredUsername: 'alice', groups: ['staff', 'sre'], roles: ['admin', 'app:viewer'] })

describe('header mapping presets', () => {
  it('the default is exactly the X-Auth-Request-* set identityHeaderValues gives', () => {
    for (const roles of [false, true]) {
      expect(pairsOf(headerMapping(headersConfig({ roles })).identity(alice))).toEqual(identityHeaderValues(alice, roles))
    }
  })

  it('forwarded is oauth2-proxy pass_user_headers: X-Forwarded-User/-Email/-Groups/-Preferred-Username', () => {
    expect(pairsOf(headerMapping(headersConfig({ presets: ['forwarded'] })).identity(alice))).toEqual([
      ['X-Forwarded-User', 'u-1'],
      ['X-Forwarded-Email', 'alice@example.com'],
      ['X-Forwarded-Groups', 'staff,sre'],
      ['X-Forwarded-Preferred-Username', 'alice'],
    ])
  })

  it('passAccessToken adds each preset\'s -Access-Token, passAuthorization a Bearer Authorization', () => {
    const m = headerMapping(headersConfig({ presets: ['xauthrequest', 'forwarded'], passAccessToken: true, passAuthorization: true }))
    const names = pairsOf(m.withToken(m.identity(alice)!, 'tok.en-1')!).slice(-3)
    expect(names).toEqual([
      ['X-Auth-Request-Access-Token', 'tok.en-1'],
      ['X-Forwarded-Access-Token', 'tok.en-1'],
      ['Authorization', 'Bearer tok.en-1'],
    ])
    expect(m.names).toContain('X-Forwarded-Access-Token')
    expect(m.names).not.toContain('Authorization')
  })

  it('without a token, or with no header that carries one, the identity headers are returned as they are', () => {
    const m = headerMapping(headersConfig({ passAccessToken: true }))
    const h = m.identity(alice)!
    expect(m.withToken(h, undefined)).toBe(h)
    const plain = headerMapping(headersConfig())
    expect(plain.withToken(plain.identity(alice)!, 'tok')).toBe(plain.identity(alice))
  })

  it('is computed once per identity object', () => {
    const m = headerMapping(headersConfig())
    expect(m.identity(alice)).toBe(m.identity(alice))
  })
})

describe('custom headers', () => {
  const grafana = headersConfig({
    presets: [],
    separator: ', ',
    custom: [
      { name: 'X-WEBAUTH-USER', field: 'preferred_username' },
      { name: 'X-WEBAUTH-EMAIL', field: 'email' },
      { name: 'X-WEBAUTH-GROUPS', field: 'groups', separator: ',' },
      { name: 'X-WEBAUTH-ROLES', field: 'roles' },
      { name: 'X-Kiali-Token', field: 'access_token' },
    ],
  })

  it('each field lands in its header, lists with their separator; an access_token field is added per request', () => {
    const m = headerMapping(grafana)
    expect(pairsOf(m.withToken(m.identity(alice)!, 'at'))).toEqual([
      ['X-WEBAUTH-USER', 'alice'],
      ['X-WEBAUTH-EMAIL', 'alice@example.com'],
      ['X-WEBAUTH-GROUPS', 'staff,sre'],
      ['X-WEBAUTH-ROLES', 'admin, app:viewer'],
      ['X-Kiali-Token', 'at'],
    ])
    expect(passesAccessToken(grafana)).toBe(true)
    expect(passesAccessToken(headersConfig())).toBe(false)
  })

  it('unknown values are sent empty, never left out', () => {
    const m = headerMapping(grafana)
    const anon: Identity = { subject: '', user: '', groups: [], roles: [], provider: '', expiresAt: 0 }
    expect(pairsOf(m.identity(anon)!)).toEqual([['X-WEBAUTH-USER', ''], ['X-WEBAUTH-EMAIL', ''], ['X-WEBAUTH-GROUPS', ''], ['X-WEBAUTH-ROLES', '']])
    // the X-Auth-Request-Roles a preset always sends, for anyone, when roles are not opted in
    expect(pairsOf(headerMapping(headersConfig()).identity(alice)!).at(-1)).toEqual(['X-Auth-Request-Roles', ''])
  })

  it('header names are validated by the schema, with the key path', () => {
    const bad = configSchema.shape.headers.safeParse({ custom: [{ name: 'X-Bad Name', field: 'user' }, { name: 'X-Ok', field: 'nope' }] })
    expect(bad.success).toBe(false)
    const paths = bad.error!.issues.map((i) => i.path.join('.'))
    expect(paths).toEqual(expect.arrayContaining(['custom.0.name', 'custom.1.field']))
    expect(configSchema.shape.headers.safeParse({ separator: '\n' }).success).toBe(false)
    expect(configSchema.shape.headers.safeParse({ separator: '' }).success).toBe(false)
  })

  it('reserved names and names set twice (any spelling) are config problems', () => {
    const problems = mappingProblems(
      headersConfig({
        passAccessToken: true,
        presets: ['xauthrequest', 'forwarded'],
        custom: [
          { name: 'Host', field: 'user' },
          { name: 'authorization', field: 'access_token' },
          { name: 'x_auth_request.user', field: 'user' },
          { name: 'X-Forwarded-For', field: 'user' },
          { name: 'X-Grafana', field: 'user' },
          { name: 'x-grafana', field: 'email' },
        ],
        assertion: { enabled: true, header: 'X-Forwarded-Email' },
      }),
    )
    expect(problems).toEqual([
      'headers.custom[0].name: "Host" is reserved (use passAuthorization for Authorization)',
      'headers.custom[1].name: "authorization" is reserved (use passAuthorization for Authorization)',
      'headers.custom[2].name: "x_auth_request.user" is already set by headers.presets (xauthrequest) (names compare in any case, "_" and "." as "-")',
      'headers.custom[3].name: "X-Forwarded-For" is reserved (use passAuthorization for Authorization)',
      'headers.custom[5].name: "x-grafana" is already set by headers.custom[4].name (names compare in any case, "_" and "." as "-")',
      'headers.assertion.header: "X-Forwarded-Email" is already set by headers.presets (forwarded) (names compare in any case, "_" and "." as "-")',
    ])
    expect(mappingProblems(headersConfig({ presets: ['xauthrequest', 'forwarded'], passAccessToken: true }))).toEqual([])
  })
})

/** Text with a good share of control characters, separators and non-ASCII. */
const text = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'abcXYZ09@._-: ,;|') },
    { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\t', '\0', '\u007f', '\u0085', '\u001b') },
    { weight: 1, arbitrary: fc.constantFrom('é', 'ü', 'ß', '日', '😀', '\u2028', '\u00a0') },
  ),
  maxLength: 12,
})
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

describe('header-safe values (property)', () => {
  it('every emitted value is one Node accepts and holds no control byte or character; a control character in a single value refuses the allow', () => {
    const fields = fc.constantFrom('user', 'subject', 'email', 'preferred_username', 'groups', 'roles', 'provider')
    assertProperty(
      fc.property(
        fc.record({ subject: text, user: text, email: text, preferredUsername: text, groups: fc.array(text, { maxLength: 4 }), roles: fc.array(text, { maxLength: 4 }), provider: text }),
        fc.array(fc.record({ field: fields, separator: fc.option(fc.constantFrom(',', ', ', ' ', ';', '|'), { nil: undefined }) }), { maxLength: 4 }),
        fc.constantFrom(',', ', ', ' ', ';'),
        (id, custom, separator) => {
          const config = headersConfig({
            presets: ['xauthrequest', 'forwarded'],
            roles: true,
            separator,
            custom: custom.map((c, i) => ({ name: `X-Custom-${i}`, ...c })),
          })
          const ident: Identity = { ...id, expiresAt: 0 }
          const headers = headerMapping(config).identity(ident)
          const usedScalars = ['user', 'email', 'preferred_username', ...custom.map((c) => c.field)]
          const byField: Record<string, string> = { subject: id.subject, user: id.user, email: id.email, preferred_username: id.preferredUsername, provider: id.provider }
          const unsafe = usedScalars.some((f) => f in byField && CONTROL.test(byField[f]!))
          expect(headers === undefined).toBe(unsafe)
          if (!headers) return
          for (const [name, value] of pairsOf(headers)) {
            expect(() => validateHeaderValue(name, value)).not.toThrow()
            expect(value).not.toMatch(/[\u0000-\u001f\u007f]/) // no control byte on the wire
            expect(Buffer.from(value, 'latin1').toString('utf8')).not.toMatch(CONTROL) // nor control text once read as UTF-8
          }
          // a list reads back as exactly its safe elements
          const groups = new Map(pairsOf(headers)).get('X-Forwarded-Groups')!
          const kept = id.groups.filter((g) => !g.includes(separator.trim() || separator) && !CONTROL.test(g))
          expect(groups).toBe(kept.map((g) => headerSafe(g)).join(separator))
        },
      ),
    )
  })

  it('non-ASCII text goes out as its UTF-8 bytes', () => {
    const sent = headerSafe('Jürgen 日本')!
    expect(Buffer.from(sent, 'latin1').toString('utf8')).toBe('Jürgen 日本')
    expect(headerSafe('a\r\nSet-Cookie: x=1')).toBeUndefined()
    expect(joinList(['a', 'b\nc', 'd,e', 'f'], ',')).toBe('a,f')
  })

  it('an access token with a control character or a space refuses the allow', () => {
    const m = headerMapping(headersConfig({ passAccessToken: true }))
    for (const token of ['a\r\nX-Evil: 1', 'a b', 'tök']) expect(m.withToken(m.identity(alice)!, token)).toBeUndefined()
  })
})

describe('mapping problems name only the headers the config really sets', () => {
  it('X-Forwarded-Roles, an -Access-Token without passAccessToken and a disabled assertion header are free names', () => {
    const custom = [
      { name: 'X-Forwarded-Roles', field: 'roles' },
      { name: 'X-Auth-Request-Access-Token', field: 'access_token' },
      { name: 'X-Forwarded-Access-Token', field: 'access_token' },
    ]
    expect(mappingProblems(headersConfig({ presets: ['xauthrequest', 'forwarded'], custom, assertion: { enabled: false, header: 'X-Auth-Request-User' } }))).toEqual([])
    expect(mappingProblems(headersConfig({ presets: ['xauthrequest', 'forwarded'], custom: [{ name: 'X-Auth-Request-Roles', field: 'roles' }] }))).toEqual([
      'headers.custom[0].name: "X-Auth-Request-Roles" is already set by headers.presets (xauthrequest) (names compare in any case, "_" and "." as "-")',
    ])
  })
})

describe('header mapping per config version', () => {
  it('a config version is compiled once; another version gets its own mapping', () => {
    const c = headersConfig()
    expect(headerMapping(c)).toBe(headerMapping(c))
    const roles = headersConfig({ roles: true })
    expect(headerMapping(roles)).not.toBe(headerMapping(c))
    expect(new Map(pairsOf(headerMapping(roles).identity(alice)!)).get('X-Auth-Request-Roles')).toBe('admin,app:viewer')
  })

  it('a list separator with spaces splits on its core: an element holding that core is left out', () => {
    const m = headerMapping(headersConfig({ presets: [], separator: ', ', custom: [{ name: 'X-G', field: 'groups' }] }))
    expect(m.identity(identity({ groups: ['a', 'b,c', 'd e', 'f'] }))).toEqual(['X-G', 'a, d e, f'])
    expect(joinList(['a', ' ', 'b'], ' ')).toBe('a b')
  })

  it('subject and provider fields, and every custom field a value or empty', () => {
    const m = headerMapping(
      headersConfig({
        presets: [],
        custom: [
          { name: 'X-Sub', field: 'subject' },
          { name: 'X-Prov', field: 'provider' },
          { name: 'X-User', field: 'user' },
        ],
      }),
    )
    expect(pairsOf(m.identity(alice))).toEqual([
      ['X-Sub', alice.subject],
      ['X-Prov', alice.provider],
      ['X-User', 'u-1'],
    ])
  })
})

describe('identities sharing interned lists (src/session/slim.ts)', () => {
  const mapped = () =>
    headersConfig({
      presets: ['xauthrequest', 'forwarded'],
      roles: true,
      custom: [
        { name: 'X-Sub', field: 'subject' },
        { name: 'X-Prov', field: 'provider' },
        { name: 'X-R', field: 'roles', separator: ';' },
      ],
    })

  it('each identity gets headers from its own values, whoever else holds the same list objects (property)', () => {
    const config = mapped()
    const element = fc.constantFrom('staff', 'sre', 'admin', 'app:viewer', 'ops')
    assertProperty(
      fc.property(
        fc.array(fc.array(element, { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.record({ email: text, preferredUsername: text, subject: text, provider: text, g: fc.nat(), r: fc.nat() }), { minLength: 2, maxLength: 5 }),
        (pool, people) => {
          const m = headerMapping(config)
          people.forEach((p, i) => {
            const ident: Identity = {
              user: `user-${i}`,
              email: p.email,
              preferredUsername: p.preferredUsername,
              subject: p.subject,
              provider: p.provider,
              groups: pool[p.g % pool.length]!,
              roles: pool[p.r % pool.length]!,
              expiresAt: 0,
            }
            // the same values in lists of its own: nothing another identity holds can reach it
            const alone = headerMapping(mapped()).identity({ ...ident, groups: [...ident.groups], roles: [...ident.roles] })
            expect(m.identity(ident)).toEqual(alone)
          })
        },
      ),
      100,
    )
  })

  it('identities holding the same list objects get the same list values and their own user values; Roles empty unless opted in', () => {
    const at = (h: HeaderList, name: string) => h[h.indexOf(name) + 1]
    const groups = ['staff', 'sre']
    const roles = ['admin']
    for (const m of [headerMapping(headersConfig()), headerMapping(headersConfig({ roles: true }))]) {
      const a = m.identity(identity({ user: 'a', groups, roles }))!
      const b = m.identity(identity({ user: 'b', groups, roles }))!
      expect([at(a, 'X-Auth-Request-User'), at(b, 'X-Auth-Request-User')]).toEqual(['a', 'b'])
      expect([at(a, 'X-Auth-Request-Groups'), at(b, 'X-Auth-Request-Groups')]).toEqual(['staff,sre', 'staff,sre'])
      expect(at(a, 'X-Auth-Request-Roles')).toBe(at(b, 'X-Auth-Request-Roles'))
      // one flat array of names and values per identity
      expect(a).toHaveLength(2 * 5)
    }
    const off = headerMapping(headersConfig()).identity(identity({ roles }))!
    expect(at(off, 'X-Auth-Request-Roles')).toBe('')
  })
})

describe('a custom header cannot take a name a preset sets (property)', () => {
  it('a custom name collides with a preset header, in any spelling, exactly when the config\'s presets set that header', () => {
    const prefixes = { xauthrequest: 'X-Auth-Request-', forwarded: 'X-Forwarded-' } as const
    const suffixes = ['User', 'Email', 'Groups', 'Preferred-Username', 'Roles', 'Access-Token']
    const candidate = fc
      .tuple(fc.constantFrom('xauthrequest', 'forwarded') as fc.Arbitrary<keyof typeof prefixes>, fc.constantFrom(...suffixes))
      .chain(([preset, suffix]) => spellings(prefixes[preset] + suffix).map((spelled) => ({ preset, name: prefixes[preset] + suffix, spelled })))
    const canon = (n: string) => n.toLowerCase().replace(/[_.]/g, '-')
    assertProperty(
      fc.property(fc.subarray(['xauthrequest', 'forwarded'] as const), fc.boolean(), fc.boolean(), candidate, (presets, passAccessToken, roles, c) => {
        const base = { presets, passAccessToken, roles }
        // what the presets alone set, as the mapping (and so the strip check) sees it
        const set = headerMapping(headersConfig(base)).names.map(canon)
        const problems = mappingProblems(headersConfig({ ...base, custom: [{ name: c.spelled, field: 'user' }] }))
        expect(problems).toEqual(
          set.includes(canon(c.name))
            ? [`headers.custom[0].name: "${c.spelled}" is already set by headers.presets (${c.preset}) (names compare in any case, "_" and "." as "-")`]
            : [],
        )
      }),
    )
  })
})
