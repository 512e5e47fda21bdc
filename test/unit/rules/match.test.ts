import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { parseRules } from '../../../src/rules/definitions.js'
import { compileRules, type RuleSet } from '../../../src/rules/match.js'
import { defaultRuleSchema, rulesSchema } from '../../../src/rules/schema.js'
import type { Identity } from '../../../src/plugin.js'
import { assertProperty } from '../../helpers/property.js'
import { covers, oracleReadings, rawPath } from '../../helpers/path-oracle.js'

const PROVIDERS = [{ id: 'corp', type: 'keycloak' }]

function ruleSet(rules: unknown[], defaultRule?: unknown): RuleSet {
  const parsed = parseRules(rulesSchema.parse(rules), defaultRuleSchema.parse(defaultRule), PROVIDERS)
  if (!parsed.rules) throw new Error(parsed.problems.join('\n'))
  return compileRules(parsed.rules, PROVIDERS)
}

const user = (groups: string[]): Identity => ({ subject: 's', user: 'u', groups, roles: [], provider: 'corp', expiresAt: 0 })

// The harshest layout for a bypass: everything is public except what a rule covers.
const RULES = ruleSet(
  [
    { name: 'internal', paths: ['/internal'], deny: true },
    { name: 'admin', paths: ['/admin'], require: { groups: ['admins'] } },
    { name: 'ops', paths: ['/ops'], require: { groups: ['ops'] } },
    { name: 'public', paths: ['/public'], allow: 'public' },
  ],
  { allow: 'public' },
)

const verdict = (path: string) => RULES.match({ url: new URL('https://app.example.com' + path), rawPath: path, method: 'GET' })

describe('rules judge every reading of a path (issue 10, findings 3 and 11)', () => {
  it.each([
    '/internal',
    '/public/..;/internal',
    '/internal;jsessionid=x',
    '/public/%252e%252e/internal',
    '/public/%2e%2e/internal',
    '/internal%3Fx',
    '/internal%23x',
    '/internal%20',
    '/internal%09',
    '/internal%00',
    '/internal%0d%0a',
    '/public/..%252finternal',
    '/public%2f..%2finternal',
    '/public;/../internal',
    '/public,/../internal',
    '/public\\x/%2e%2e/internal',
    '/public\\x/../internal',
    '/public/%255cx/..%255c..%255cinternal',
    '/internal%2fx/..//',
    '/internal%3F%public',
    '/internal%3F%public/./%2C%255c.%2einternal',
    // `..\\` is no dot-segment where `\\` is an ordinary character (found by the property below and the e2e suite)
    '//internal%2f.%2e\\%zz',
    '/internal%2F..%5C%00...,admin%20~',
  ])('%s is denied', (path) => {
    expect(verdict(path).action.kind).toBe('deny')
    expect(verdict(path).rule.label).toBe('internal')
  })

  it.each(['/public%23/%2e%2e/admin', '/public%23/%2E%2E/admin/x', '/public/.%2e/admin', '/ops/%2e./admin'])(
    '%s needs the admin requirement, not a public or weaker rule',
    (path) => {
      const v = verdict(path)
      expect(v.action.kind).toBe('require')
      expect(v.rule.label).toBe('admin')
    },
  )

  it('a path with more readings than are listed is denied, not guessed', () => {
    const hostile = '/public' + '/%2520;a/%253f/..%09/%2e%2e\\x'.repeat(300)
    const v = verdict(hostile)
    expect(v.action.kind).toBe('deny')
    expect(v.rule.label).toBe('too-many-readings')
  })

  it.each(['/public\\x', '/public\\%255c%255c%252eaDminaDmin%2e%2e'])('%s is not public: `public\\x` is another segment where `\\` is a character', (path) => {
    const strict = ruleSet([{ name: 'public', paths: ['/public'], allow: 'public' }])
    const v = strict.match({ url: new URL('https://app.example.com' + path), rawPath: path, method: 'GET' })
    expect(v.action.kind).toBe('authenticated')
    expect(strict.match({ url: new URL('https://app.example.com/public/x'), rawPath: '/public/x', method: 'GET' }).action.kind).toBe('public')
  })

  it.each(['/public', '/public/a', '/public;x=1', '/public/a%20b', '/elsewhere', '/public/caf%C3%A9'])('%s stays public', (path) => {
    expect(verdict(path).action.kind).toBe('public')
  })

  it.each(['/admin%5cx/%2e%2e/y', '/admin%2fx/../public..%2e', '/public%5c..%5cadmin'])('%s needs the admin group', (path) => {
    const v = verdict(path)
    expect(v.action.kind).toBe('require')
    expect(v.rule.label).toBe('admin')
  })

  it('//public is not public: a scheme-relative reading makes `public` the host and the path `/`', () => {
    const v = RULES.match({ url: new URL('https://app.example.com//public'), rawPath: '//public', method: 'GET' })
    expect(v.action.kind).toBe('public') // `/` is public under this rule set's default
    const strict = ruleSet([{ name: 'public', paths: ['/public'], allow: 'public' }])
    const s = strict.match({ url: new URL('https://app.example.com//public'), rawPath: '//public', method: 'GET' })
    expect(s.action.kind).toBe('authenticated')
    expect(s.rule.label).toBe('default')
  })

  it('two require rules hit by different readings both apply (AND)', () => {
    const v = verdict('/admin%3f/../ops')
    expect(v.action.kind).toBe('require')
    const check = (v.action as { check: (i: Identity) => boolean }).check
    expect(check(user(['admins']))).toBe(false)
    expect(check(user(['ops']))).toBe(false)
    expect(check(user(['admins', 'ops']))).toBe(true)
  })
})

describe('an unknown method (no X-Original-Method / X-Forwarded-Method) is judged as every method', () => {
  const api = ruleSet([
    { name: 'write', methods: ['DELETE', 'POST'], deny: true },
    { name: 'read', methods: ['GET'], allow: 'public' },
  ])
  const at = (method: string) => api.match({ url: new URL('https://api.example.com/x'), method })
  it('the strictest answer wins', () => {
    expect(at('GET').action.kind).toBe('public')
    expect(at('*').action.kind).toBe('deny')
    expect(at('*').rule.label).toBe('write')
  })
})

describe('property: no anonymous allow of a path a deny/require rule covers under any reading', () => {
  it('deny covers → deny; require covers → deny or require; public only when no reading is covered', () => {
    assertProperty(
      fc.property(rawPath, (raw) => {
        let url: URL
        try {
          url = new URL('https://app.example.com' + raw)
        } catch {
          return // not a URL at all: original-request.ts refuses it before the rules
        }
        const readings = oracleReadings(raw)
        const v = RULES.match({ url, rawPath: raw, method: 'GET' })
        const hit = (prefix: string) => [...readings].some((r) => covers(prefix, r))
        if (hit('/internal')) expect(v.action.kind).toBe('deny')
        if (hit('/admin') || hit('/ops')) expect(['deny', 'require']).toContain(v.action.kind)
      }),
      2000,
    )
  })
})

describe('verdict details (mutation testing, issue 17)', () => {
  it('an unnamed rule is labelled by its position, the default as `default`', () => {
    const rs = ruleSet([{ name: 'first', paths: ['/a'], deny: true }, { paths: ['/b'], deny: true }])
    expect(rs.rules.map((r) => r.label)).toEqual(['first', '#1'])
    expect(rs.fallback).toMatchObject({ index: -1, label: 'default', hasHost: false, hasPath: false })
    expect(rs.rules.map((r) => [r.hasHost, r.hasPath])).toEqual([[false, true], [false, true]])
  })

  it('an unknown URL never meets a rule with a host matcher', () => {
    const rs = ruleSet([{ hosts: ['app.example.com'], deny: true }, { methods: ['POST'], deny: true }])
    expect(rs.rules[0]!.hasHost).toBe(true)
    expect(rs.match({ url: undefined, method: 'GET' }).rule.label).toBe('default')
    expect(rs.match({ url: undefined, method: 'POST' }).rule.label).toBe('#1')
  })

  it('`readings` is set only when readings met different rules', () => {
    expect(verdict('/internal').readings).toBeUndefined()
    // two readings (`/internal/x`, `/internal/x;y`), one rule
    expect(verdict('/internal/x;y').rule.label).toBe('internal')
    expect(verdict('/internal/x;y').readings).toBeUndefined()
    const v = verdict('/public/..;/internal')
    expect(v.rule.label).toBe('internal')
    expect(v.readings).toBe(2)
  })

  it('one require rule among public readings applies alone, with its own check', () => {
    const v = verdict('/public/..;/admin')
    expect(v.rule.label).toBe('admin')
    expect(v.readings).toBe(2)
    const check = (v.action as { check: (i: Identity) => boolean }).check
    expect(check(user(['admins']))).toBe(true)
    expect(check(user(['ops']))).toBe(false)
  })
})

/** `<rule label> <action kind>` for a GET (or `method`) of `url` under `rs`. */
const get = (rs: RuleSet, url: string, method = 'GET') => {
  const u = new URL(url)
  const v = rs.match({ url: u, rawPath: u.pathname, method })
  return `${v.rule.label} ${v.action.kind}`
}

// Rule sets built inside each test: per-test coverage then ties the compiled code to the test that states it.
describe('hosts, ports, order and methods (mutation testing, issue 17)', () => {
  it('exact hosts, ports and wildcards select only their rules, in rule order', () => {
    const rs = ruleSet([
      { name: 'port', hosts: ['app.example.com:8443'], deny: true },
      { name: 'wild-port', hosts: ['*.ports.test:8443'], deny: true },
      { name: 'wild', hosts: ['*.example.com'], paths: ['/w'], deny: true },
      { name: 'host', hosts: ['h.test'], allow: 'public' },
      { name: 'all', paths: ['/'], require: { groups: ['x'] } },
    ], { allow: 'public' })
    expect(get(rs, 'https://app.example.com:8443/')).toBe('port deny')
    expect(get(rs, 'https://app.example.com/')).toBe('all require')
    expect(get(rs, 'https://a.ports.test:8443/')).toBe('wild-port deny')
    expect(get(rs, 'https://a.b.ports.test:8443/')).toBe('wild-port deny')
    expect(get(rs, 'https://a.ports.test/')).toBe('all require')
    expect(get(rs, 'https://x.example.com/w')).toBe('wild deny')
    expect(get(rs, 'https://evilexample.com/w')).toBe('all require')
    expect(get(rs, 'https://example.com/w')).toBe('all require')
    // a host rule before a rule without hosts keeps its place
    expect(get(rs, 'https://h.test/')).toBe('host public')
    expect(get(rs, 'https://other.test/')).toBe('all require')
  })

  it('host and port never run together: h14:43 is not h1:443', () => {
    const rs = ruleSet([{ name: 'odd', hosts: ['h14:43'], deny: true }], { allow: 'public' })
    expect(get(rs, 'http://h14:43/')).toBe('odd deny')
    expect(get(rs, 'https://h1/')).toBe('default public')
    expect(get(rs, 'http://h14:80/')).toBe('default public')
  })

  it('a prefix in a rule with a regex is a whole segment; `/` covers everything', () => {
    const rs = ruleSet([
      { name: 'mixed', paths: ['/admin', '^/x/[0-9]+$'], deny: true },
      { name: 'root', paths: ['/', '^/never$'], methods: ['POST'], deny: true },
    ], { allow: 'public' })
    expect(get(rs, 'https://h/admin')).toBe('mixed deny')
    expect(get(rs, 'https://h/admin/users')).toBe('mixed deny')
    expect(get(rs, 'https://h/administrator')).toBe('default public')
    expect(get(rs, 'https://h/x/12')).toBe('mixed deny')
    expect(get(rs, 'https://h/x/12/y')).toBe('default public')
    expect(get(rs, 'https://h/anything', 'POST')).toBe('root deny')
    expect(get(rs, 'https://h/', 'POST')).toBe('root deny')
  })

  it('an unknown method is judged as every method the rules name, and as one they do not', () => {
    const named = ruleSet([{ name: 'write', methods: ['DELETE'], deny: true }, { name: 'read', methods: ['GET'], allow: 'public' }], { allow: 'public' })
    expect(get(named, 'https://h/x', '*')).toBe('write deny')
    const none = ruleSet([{ name: 'p', paths: ['/p'], deny: true }], { allow: 'public' })
    expect(get(none, 'https://h/p', '*')).toBe('p deny')
    expect(get(none, 'https://h/q', '*')).toBe('default public')
    // a GET-only public rule does not make an unknown method public: it may be a POST
    const getOnly = ruleSet([{ name: 'read', paths: ['/api'], methods: ['GET'], allow: 'public' }])
    expect(get(getOnly, 'https://h/api', '*')).toBe('default authenticated')
    expect(get(getOnly, 'https://h/api', 'GET')).toBe('read public')
  })

  it('a certain request gets a public default; `trivial` only for no rules and an authenticated default', () => {
    const rs = ruleSet([{ paths: ['/a'], deny: true }], { allow: 'public' })
    const v = rs.match({ url: new URL('https://h/b'), rawPath: '/b', method: 'GET' })
    expect(v.action.kind).toBe('public')
    expect(v.uncertain).toBeUndefined()
    expect(ruleSet([]).trivial).toBe(true)
    expect(ruleSet([], { deny: true }).trivial).toBe(false)
    expect(ruleSet([{ paths: ['/a'], allow: 'authenticated' }]).trivial).toBe(false)
  })

  it('an uncertain request keeps a default that is not public (deny stays deny)', () => {
    const rs = ruleSet([{ paths: ['/p'], allow: 'public' }], { deny: true })
    const v = rs.match({ url: new URL('https://h/p%2fx'), rawPath: '/p%2fx', method: 'GET' })
    expect(v.action.kind).toBe('deny')
    expect(rs.match({ url: undefined, method: 'GET' }).action.kind).toBe('deny')
  })

  it('one require rule met by several readings keeps no readings count', () => {
    const one = verdict('/admin/x;y')
    expect(one.action.kind).toBe('require')
    expect(one.readings).toBeUndefined()
  })
})

describe('strictest answer and wildcard hosts (mutation testing, issue 17)', () => {
  it('a deny stays a deny beside two require rules (it does not become their AND)', () => {
    const rs = ruleSet([
      { name: 'read', methods: ['GET'], require: { groups: ['a'] } },
      { name: 'delete', methods: ['DELETE'], deny: true },
      { name: 'write', methods: ['POST'], require: { groups: ['b'] } },
    ])
    // an unknown method is judged as GET, DELETE and POST: one deny, two requires
    expect(get(rs, 'https://h/x', '*')).toBe('delete deny')
  })

  it('property: `*.example.com` covers exactly the hosts that end in `.example.com` (an empty first label included)', () => {
    const rs = ruleSet([{ name: 'wild', hosts: ['*.example.com'], deny: true }], { allow: 'public' })
    // no `xn--`: such a label must be valid punycode, or URL refuses the host
    const label = fc.stringMatching(/^[a-z0-9.-]{0,12}$/).filter((p) => !p.includes('xn--'))
    expect(get(rs, 'https://.example.com/')).toBe('wild deny')
    expect(get(rs, 'https://xexample.com/')).toBe('default public')
    assertProperty(
      fc.property(label, (prefix) => {
        expect(get(rs, `https://${prefix}.example.com/`)).toBe('wild deny')
        // one more character glued to the suffix is another domain
        if (prefix !== '' && !prefix.endsWith('.')) expect(get(rs, `https://${prefix}example.com/`)).toBe('default public')
      }),
    )
  })
})

describe('property: a request of unknown method is judged at least as strictly as any method it could be', () => {
  const RANK: Record<string, number> = { public: 0, authenticated: 1, require: 2, deny: 3 }
  const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND']
  const action = fc.constantFrom<Record<string, unknown>>(
    { deny: true },
    { allow: 'public' },
    { allow: 'authenticated' },
    { require: { groups: ['g'] } },
  )
  const rule = fc.record(
    {
      paths: fc.subarray(['/a', '/b'], { minLength: 1 }),
      methods: fc.subarray(['GET', 'POST', 'DELETE', 'PUT'], { minLength: 1 }),
      action,
    },
    { requiredKeys: ['action', 'paths'] },
  ).map(({ action: a, ...r }) => ({ ...r, ...a }))
  it('no concrete method gets a stricter kind of answer than the unknown one (nginx without X-Original-Method)', () => {
    assertProperty(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 4 }), action, fc.constantFrom('/a', '/a/x', '/b', '/c'), (rules, dflt, path) => {
        const rs = ruleSet(rules, dflt)
        const url = new URL(`https://h${path}`)
        const unknown = rs.match({ url, rawPath: path, method: '*' }).action.kind
        for (const method of METHODS) {
          const known = rs.match({ url, rawPath: path, method }).action.kind
          if (RANK[known]! > RANK[unknown]!) throw new Error(`${method} ${path}: ${known}, unknown method: ${unknown}`)
        }
      }),
    )
  })
})
