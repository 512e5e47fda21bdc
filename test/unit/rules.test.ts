import { describe, expect, it } from '@jest/globals'
import { parseRules } from '../../src/rules/definitions.js'
import { compileRules, type RuleSet } from '../../src/rules/match.js'
import { defaultRuleSchema, rulesSchema } from '../../src/rules/schema.js'
import type { Identity } from '../../src/plugin.js'

const PROVIDERS = [
  { id: 'corp', type: 'keycloak' },
  { id: 'gh', type: 'github' },
]

function ruleSet(rules: unknown[], defaultRule?: unknown): RuleSet {
  const parsed = parseRules(rulesSchema.parse(rules), defaultRuleSchema.parse(defaultRule), PROVIDERS)
  if (!parsed.rules) throw new Error(parsed.problems.join('\n'))
  return compileRules(parsed.rules, PROVIDERS)
}

function problemsOf(rules: unknown[], defaultRule?: unknown): string[] {
  return parseRules(rulesSchema.parse(rules), defaultRuleSchema.parse(defaultRule), PROVIDERS).problems
}

const at = (rs: RuleSet, url: string | undefined, method = 'GET') => {
  const v = rs.match({ url: url === undefined ? undefined : new URL(url), method })
  return `${v.rule.index} ${v.action.kind}`
}

const user = (over: Partial<Identity> = {}): Identity => ({
  subject: 's',
  user: 'u',
  email: 'u@example.com',
  groups: [],
  roles: [],
  provider: 'corp',
  expiresAt: 0,
  ...over,
})

const EXAMPLE = ruleSet([
  { name: 'lb-health', hosts: ['grafana.example.com'], paths: ['/api/health'], methods: ['GET', 'HEAD'], allow: 'public' },
  { name: 'preflight', hosts: ['*.example.com'], methods: ['OPTIONS'], allow: 'public' },
  { name: 'prometheus', hosts: ['prometheus.example.com', 'alertmanager.example.com'], require: { groups: ['sre'] } },
  { name: 'grafana-admin', hosts: ['grafana.example.com'], paths: ['/admin'], require: { roles: ['grafana-admin'] } },
  { name: 'grafana', hosts: ['grafana.example.com'], require: { emailDomains: ['example.com'] } },
  { name: 'kiali', hosts: ['kiali.example.com'], require: { any: [{ groups: ['mesh'] }, { githubTeams: ['Acme:Mesh'] }] } },
  { name: 'cve-shape', hosts: ['docs.example.com'], paths: ['^/foo/.*/bar$'], allow: 'public' },
  { name: 'internal', hosts: ['*.example.com'], paths: ['/internal'], deny: true },
  { name: 'tls-port', hosts: ['app.example.com:8443'], deny: true },
])

describe('rule matching: precedence, matchers, default', () => {
  it.each([
    // hosts + paths + methods
    ['https://grafana.example.com/api/health', 'GET', '0 public'],
    ['https://grafana.example.com/api/health', 'HEAD', '0 public'],
    ['https://grafana.example.com/api/health', 'POST', '4 require'],
    ['https://grafana.example.com/api/health/deep', 'GET', '0 public'],
    ['https://grafana.example.com/api/healthz', 'GET', '4 require'],
    ['https://grafana.example.com:8443/api/health', 'GET', '0 public'],
    // wildcard: subdomains only, any depth, port ignored
    ['https://x.example.com/', 'OPTIONS', '1 public'],
    ['https://a.b.example.com:444/', 'OPTIONS', '1 public'],
    ['https://example.com/', 'OPTIONS', '-1 authenticated'],
    ['https://evilexample.com/', 'OPTIONS', '-1 authenticated'],
    ['https://grafana.example.com/api/health', 'options', '1 public'],
    // first match wins: prometheus before the wildcard deny
    ['https://prometheus.example.com/internal', 'GET', '2 require'],
    ['https://alertmanager.example.com/', 'GET', '2 require'],
    ['https://grafana.example.com/admin', 'GET', '3 require'],
    ['https://grafana.example.com/admin/users', 'GET', '3 require'],
    ['https://grafana.example.com/administrator', 'GET', '4 require'],
    ['https://kiali.example.com/', 'GET', '5 require'],
    ['https://docs.example.com/foo/a/bar', 'GET', '6 public'],
    ['https://docs.example.com/internal', 'GET', '7 deny'],
    ['https://app.example.com:8443/', 'GET', '8 deny'],
    ['https://app.example.com/', 'GET', '-1 authenticated'],
    // the default
    ['https://other.test/', 'GET', '-1 authenticated'],
  ])('%s %s → %s', (url, method, expected) => {
    expect(at(EXAMPLE, url, method)).toBe(expected)
  })

  it('a later rule never overrides an earlier match, whatever the action', () => {
    const rs = ruleSet([
      { paths: ['/a'], require: { groups: ['x'] } },
      { paths: ['/a/b'], allow: 'public' },
      { paths: ['^/a/b/c$'], deny: true },
    ])
    expect(at(rs, 'http://h/a/b/c')).toBe('0 require')
    const reversed = ruleSet([
      { paths: ['^/a/b/c$'], deny: true },
      { paths: ['/a/b'], allow: 'public' },
      { paths: ['/a'], require: { groups: ['x'] } },
    ])
    expect(at(reversed, 'http://h/a/b/c')).toBe('0 deny')
    expect(at(reversed, 'http://h/a/b/d')).toBe('1 public')
    expect(at(reversed, 'http://h/a/x')).toBe('2 require')
  })

  it('a prefix "/" and a trailing slash in a prefix behave as documented', () => {
    const rs = ruleSet([{ paths: ['/static/'], allow: 'public' }, { hosts: ['h'], paths: ['/'], deny: true }])
    expect(at(rs, 'http://h/static')).toBe('0 public')
    expect(at(rs, 'http://h/static/app.js')).toBe('0 public')
    expect(at(rs, 'http://h/staticx')).toBe('1 deny')
    expect(at(rs, 'http://h/')).toBe('1 deny')
  })

  it('a configurable default; deny by default', () => {
    expect(at(ruleSet([], { deny: true }), 'http://h/')).toBe('-1 deny')
    expect(at(ruleSet([], { allow: 'public' }), 'http://h/')).toBe('-1 public')
    expect(ruleSet([]).trivial).toBe(true)
    expect(ruleSet([], { deny: true }).trivial).toBe(false)
  })

  it('rules with mixed prefixes and regexes in one list', () => {
    const rs = ruleSet([{ paths: ['/a', '^/b/[0-9]+$'], deny: true }])
    expect(at(rs, 'http://h/a/x')).toBe('0 deny')
    expect(at(rs, 'http://h/b/12')).toBe('0 deny')
    expect(at(rs, 'http://h/b/12/x')).toBe('-1 authenticated')
    // the prefix is a whole path segment, also beside a regex
    expect(at(rs, 'http://h/a')).toBe('0 deny')
    expect(at(rs, 'http://h/ab')).toBe('-1 authenticated')
    expect(at(ruleSet([{ paths: ['/admin', '^/x$'], deny: true }]), 'http://h/administrator')).toBe('-1 authenticated')
    expect(at(ruleSet([{ paths: ['/admin', '^/x$'], deny: true }]), 'http://h/admin/users')).toBe('0 deny')
    expect(at(ruleSet([{ paths: ['/', '^/x$'], deny: true }]), 'http://h/anything')).toBe('0 deny')
  })
})

describe('rule matching: tricks are denied', () => {
  it.each([
    ['path + query (CVE-2025-54576)', 'https://docs.example.com/foo/critical?param=/bar', '-1 authenticated'],
    ['raw # fragment', 'https://docs.example.com/foo/secret#/bar', '-1 authenticated'],
    ['%23 fragment (CVE-2026-41059)', 'https://docs.example.com/foo/secret%23/bar', '-1 authenticated'],
    ['%2e%2e traversal out of a public prefix', 'https://grafana.example.com/api/health/%2e%2e/%2e%2e/admin', '3 require'],
    ['/./ and ../ traversal', 'https://grafana.example.com/api/health/./../../admin', '3 require'],
    ['//admin', 'https://grafana.example.com//admin', '3 require'],
    ['backslash traversal', 'https://grafana.example.com/api/health\\..\\..\\admin', '3 require'],
    ['mixed-case host', 'https://PROMETHEUS.Example.COM/', '2 require'],
    ['trailing-dot host', 'https://prometheus.example.com./', '2 require'],
    ['wildcard + trailing dot', 'https://x.example.com./internal', '7 deny'],
    ['look-alike host suffix', 'https://prometheus.example.com.evil.net/', '-1 authenticated'],
    ['%2f inside a public prefix', 'https://grafana.example.com/api%2fhealth', '4 require'],
    ['%2f smuggling into a deny prefix', 'https://x.example.com/internal%2fsecret', '7 deny'],
    ['%2e%2e%2f after decoding', 'https://x.example.com/a/..%2finternal', '7 deny'],
  ])('%s', (_name, url, expected) => {
    expect(at(EXAMPLE, url)).toBe(expected)
  })

  it('an unknown original URL only meets rules without host/path matchers, never public', () => {
    const rs = ruleSet([
      { methods: ['OPTIONS'], allow: 'public' },
      { paths: ['/'], deny: true },
      { methods: ['DELETE'], deny: true },
    ], { allow: 'public' })
    expect(at(rs, undefined, 'OPTIONS')).toBe('-1 authenticated')
    expect(at(rs, undefined, 'DELETE')).toBe('2 deny')
    expect(at(rs, undefined, 'GET')).toBe('-1 authenticated')
    expect(rs.match({ url: undefined, method: 'GET' }).uncertain).toBe('unknown-url')
  })

  it('an ambiguous path never gets public, not even from the default', () => {
    const rs = ruleSet([{ paths: ['/pub'], allow: 'public' }], { allow: 'public' })
    expect(at(rs, 'http://h/pub/x')).toBe('0 public')
    expect(at(rs, 'http://h/pub%2fx')).toBe('-1 authenticated')
    expect(at(rs, 'http://h/pub/%00')).toBe('-1 authenticated')
    expect(at(rs, 'http://h/other')).toBe('-1 public')
  })
})

describe('require', () => {
  const check = (rs: RuleSet, url: string, identity: Identity) => {
    const { action } = rs.match({ url: new URL(url), method: 'GET' })
    if (action.kind !== 'require') throw new Error(`expected require, got ${action.kind}`)
    return action.check(identity)
  }

  it.each([
    ['groups: any entry', { groups: ['a', 'b'] }, user({ groups: ['b'] }), true],
    ['groups: none', { groups: ['a', 'b'] }, user({ groups: ['c'] }), false],
    ['roles', { roles: ['admin'] }, user({ roles: ['admin'] }), true],
    ['roles: groups do not count', { roles: ['admin'] }, user({ groups: ['admin'] }), false],
    ['emails: case-insensitive config', { emails: ['U@Example.com'] }, user(), true],
    ['emails: other', { emails: ['x@example.com'] }, user(), false],
    ['emailDomains', { emailDomains: ['example.com'] }, user(), true],
    ['emailDomains: exact domain part', { emailDomains: ['example.com'] }, user({ email: 'u@sub.example.com' }), false],
    ['emailDomains: two @ (CVE-2026-40574)', { emailDomains: ['example.com'] }, user({ email: 'a@evil.com@example.com' }), false],
    ['emailDomains: no email', { emailDomains: ['*'] }, user({ email: undefined }), false],
    ['emails OR emailDomains form one check', { emails: ['boss@other.org'], emailDomains: ['example.com'] }, user({ email: 'boss@other.org' }), true],
    ['lists are ANDed', { groups: ['sre'], emailDomains: ['example.com'] }, user({ groups: ['sre'], email: 'x@other.org' }), false],
    ['providers', { providers: ['gh'] }, user({ provider: 'gh' }), true],
    ['providers: other', { providers: ['gh'] }, user(), false],
    ['githubOrgs', { githubOrgs: ['acme'] }, user({ provider: 'gh', groups: ['ACME', 'acme:mesh'] }), true],
    ['githubOrgs: a team is not an org', { githubOrgs: ['acme:mesh'] }, user({ provider: 'gh', groups: ['acme:mesh'] }), false],
    ['githubOrgs: only from github providers', { githubOrgs: ['acme'] }, user({ provider: 'corp', groups: ['acme'] }), false],
    ['githubTeams', { githubTeams: ['acme:mesh'] }, user({ provider: 'gh', groups: ['acme', 'Acme:Mesh'] }), true],
    ['githubTeams: org alone', { githubTeams: ['acme:mesh'] }, user({ provider: 'gh', groups: ['acme'] }), false],
    ['any: one clause', { any: [{ groups: ['x'] }, { roles: ['y'] }] }, user({ roles: ['y'] }), true],
    ['any: none', { any: [{ groups: ['x'] }, { roles: ['y'] }] }, user(), false],
    ['all: every clause', { all: [{ groups: ['a'] }, { groups: ['b'] }] }, user({ groups: ['a', 'b'] }), true],
    ['all: one missing', { all: [{ groups: ['a'] }, { groups: ['b'] }] }, user({ groups: ['a'] }), false],
  ])('%s', (_name, require, identity, expected) => {
    expect(check(ruleSet([{ require }]), 'http://h/', identity)).toBe(expected)
  })
})

describe('rule validation', () => {
  it.each([
    [[{ hosts: ['http://x.example.com'], deny: true }], 'rules[0].hosts[0]: "http://x.example.com" must be a host name'],
    [[{ hosts: ['a.*.example.com'], deny: true }], 'rules[0].hosts[0]: "a.*.example.com" a wildcard is only allowed'],
    [[{ hosts: ['x.example.com:99999'], deny: true }], 'rules[0].hosts[0]: "x.example.com:99999" port out of range'],
    [[{ paths: ['^/admin'], deny: true }], 'rules[0].paths[0]: "^/admin" a regex must be anchored'],
    [[{ paths: ['/admin.*$'], deny: true }], 'rules[0].paths[0]: "/admin.*$" looks like a regex'],
    [[{ paths: ['admin'], deny: true }], 'rules[0].paths[0]: "admin" must start with "/"'],
    [[{ paths: ['/a/../b'], deny: true }], 'did you mean "/b"'],
    [[{ paths: ['/a?x=1'], deny: true }], 'rules[0].paths[0]: "/a?x=1" must be a normalised path'],
    [[{ paths: ['^/a($'], deny: true }], 'rules[0].paths[0]: "^/a($" invalid regex'],
    [[{ methods: ['GET POST'], deny: true }], 'rules[0].methods[0]: "GET POST" is not an HTTP method'],
    [[{ paths: ['/a'] }], 'rules[0]: needs exactly one action'],
    [[{ paths: ['/a'], deny: true, allow: 'public' }], 'rules[0]: needs exactly one action'],
    [[{ paths: ['/a'], require: {} }], 'rules[0].require: use either lists directly'],
    [[{ paths: ['/a'], require: { groups: ['x'], any: [{ roles: ['y'] }] } }], 'rules[0].require: use either'],
    [[{ paths: ['/a'], require: { providers: ['nope'] } }], 'rules[0].require.providers[0]: no provider with id "nope"'],
    [[{ paths: ['/a'], require: { githubTeams: ['acme'] } }], 'rules[0].require.githubTeams[0]: "acme" must be written "org:team-slug"'],
    [[{ paths: ['/a'], require: { emails: ['a@b@c'] } }], 'rules[0].require.emails[0]: "a@b@c" is not an email address'],
    [[{ allow: 'public' }, { paths: ['/a'], deny: true }], 'rules[0]: matches every request, so rules[1] and later can never match'],
  ])('%j', (rules, problem) => {
    expect(problemsOf(rules).join('\n')).toContain(problem)
  })

  it('githubOrgs need a github provider', () => {
    const p = parseRules(rulesSchema.parse([{ require: { githubOrgs: ['acme'] } }]), defaultRuleSchema.parse(undefined), [{ id: 'corp', type: 'oidc' }])
    expect(p.problems).toEqual(['rules[0].require: githubOrgs/githubTeams need a provider of type github'])
  })

  it('the default rule is validated too', () => {
    expect(problemsOf([], { allow: 'public', deny: true })).toEqual(['defaultRule: needs exactly one action: allow (public|authenticated), deny: true or require'])
  })

  it('normalises hosts, prefixes and methods', () => {
    const parsed = parseRules(
      rulesSchema.parse([{ hosts: ['Grafana.Example.COM.', '*.Example.com:8443', 'bücher.example'], paths: ['/api/', '^/x$'], methods: ['get'], deny: true }]),
      defaultRuleSchema.parse(undefined),
      PROVIDERS,
    )
    expect(parsed.rules!.list[0]).toEqual({
      index: 0,
      hosts: [
        { host: 'grafana.example.com', wildcard: false },
        { host: 'example.com', wildcard: true, port: '8443' },
        { host: 'xn--bcher-kva.example', wildcard: false },
      ],
      prefixes: ['/api'],
      regexes: ['^/x$'],
      methods: ['GET'],
      action: { kind: 'deny' },
    })
  })
})
