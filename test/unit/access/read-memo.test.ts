import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import type { IncomingHttpHeaders } from 'node:http'
import { createQueryChecks } from '../../../src/access/query-cache.js'
import { createReadMemo, readAndGate, type GateOf, type Read } from '../../../src/access/read-memo.js'
import { identityHeaderCheck } from '../../../src/headers/strip.js'
import type { ReadContext } from '../../../src/request/original-request.js'
import { parseRules } from '../../../src/rules/definitions.js'
import { ruleGate } from '../../../src/rules/gate.js'
import { compileRules } from '../../../src/rules/match.js'
import { defaultRuleSchema, rulesSchema } from '../../../src/rules/schema.js'
import type { Runtime } from '../../../src/runtime.js'
import { assertProperty } from '../../helpers/property.js'

const PROVIDERS = [{ id: 'corp', type: 'keycloak' }]
const parsed = parseRules(
  rulesSchema.parse([
    { name: 'internal', paths: ['/internal'], deny: true },
    { name: 'admin', hosts: ['admin.example.com'], paths: ['/admin'], require: { groups: ['admins'] } },
    { name: 'writes', paths: ['/api'], methods: ['POST', 'DELETE'], require: { groups: ['writers'] } },
    { name: 'public', paths: ['/public'], allow: 'public' },
  ]),
  defaultRuleSchema.parse(undefined),
  PROVIDERS,
)
if (!parsed.rules) throw new Error(parsed.problems.join('\n'))
const rt = { rules: compileRules(parsed.rules, PROVIDERS), queryChecks: createQueryChecks() } as unknown as Runtime

const gate: GateOf = (querystring, request) => ruleGate(rt, querystring, request)

const ctx = (trusted: boolean, usePrefix: boolean): ReadContext => ({
  trusted,
  usePrefix,
  publicUrl: new URL('https://auth.example.com'),
  fallbackScheme: 'https',
  isIdentityHeader: identityHeaderCheck(),
})

/** What a Read means, as plain data: URL objects compare by href, checks by identity. */
function view(read: Read): unknown {
  if ('refused' in read) return { refused: read.refused }
  const { request, gate } = read
  const o = gate.outcome
  return {
    href: request.url?.href,
    rawPath: request.rawPath,
    method: request.method,
    rule: gate.rule,
    check: gate.check,
    outcome: o && { result: o.result, method: o.method, rule: o.rule, original: 'original' in o ? o.original === request : undefined },
  }
}

// Small alphabets, so generated requests repeat (memo hits) and reach every reading and refusal.
const pathPart = fc.constantFrom('/', '/internal', '/public', '/public/..;/internal', '/public/%2e%2e/internal', '/admin', '/api/x', '/a b', '//evil/x', '/x?y=1', '/x#f')
const hostPart = fc.constantFrom('app.example.com', 'admin.example.com', 'ADMIN.example.com:443', 'bad host', 'a@b', '[::1]:8080', '')
const valueOf = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(arb, arb).map((a) => a as unknown) })
const methodPart = fc.constantFrom('GET', 'get', 'POST', 'DELETE', 'GET, POST', 'G3T', '')
const NGINX = {
  'x-original-method': valueOf(methodPart),
  'x-original-url': valueOf(fc.tuple(fc.constantFrom('http', 'https', 'HTTPS', 'ftp', 'wss'), hostPart, pathPart).map(([s, h, p]) => `${s}://${h}${p}`)),
}
const nginxHeaders = fc.record(NGINX)
const FORWARDED = {
  'x-forwarded-method': valueOf(methodPart),
  'x-forwarded-host': valueOf(hostPart),
  'x-forwarded-uri': valueOf(pathPart),
  'x-forwarded-proto': valueOf(fc.constantFrom('http', 'https', 'https, http', 'gopher')),
  'x-forwarded-prefix': valueOf(fc.constantFrom('/pre', '/public', '//x', '/a;b')),
}
const forwardedHeaders = fc.record(FORWARDED)
const extra = fc.constantFrom<IncomingHttpHeaders>({}, { 'x-auth-request-email': 'a@b.c' }, { connection: 'x-auth-request-user' }, { cookie: 'a=b' })
const call = fc.record({
  protocol: fc.constantFrom('nginx' as const, 'forward-auth' as const),
  nginx: nginxHeaders,
  forwarded: forwardedHeaders,
  extra,
  trusted: fc.boolean(),
  querystring: fc.constantFrom('', 'allowed_groups=admins', 'allowed_emails=a@b.c'),
})

describe('read memo (access/read-memo.ts)', () => {
  it('answers exactly as the unmemoised read + rule gate, for any sequence of requests, hits included', () => {
    // Each request takes every field from one of a few pooled requests: near-misses that differ in
    // one header only are common, so a key that left an input out would be caught.
    const fields = ['protocol', 'trusted', 'querystring', 'extra', ...Object.keys(NGINX), ...Object.keys(FORWARDED)]
    assertProperty(
      fc.property(
        fc.boolean(),
        fc.array(call, { minLength: 2, maxLength: 4 }),
        fc.array(fc.array(fc.nat(3), { minLength: fields.length, maxLength: fields.length }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        (usePrefix, pool, steps, max) => {
          const memo = createReadMemo(gate, max) // tiny bounds: evictions and re-reads happen too
          const contexts = [ctx(false, usePrefix), ctx(true, usePrefix)] as const
          for (const step of steps) {
            const pick = (i: number) => pool[step[i]! % pool.length]!
            const at = (name: string) => fields.indexOf(name)
            const protocol = pick(0).protocol
            const headers: IncomingHttpHeaders = { ...pick(at('extra')).extra }
            for (const name of Object.keys(protocol === 'nginx' ? NGINX : FORWARDED)) {
              const c = pick(at(name))
              const v = (protocol === 'nginx' ? c.nginx : c.forwarded) as Record<string, string | string[] | undefined>
              if (v[name] !== undefined) headers[name] = v[name]
            }
            const querystring = pick(at('querystring')).querystring
            const req = { headers, method: 'GET', target: '/oauth2/auth' }
            const context = contexts[pick(at('trusted')).trusted ? 1 : 0]
            expect(view(memo(protocol, req, context, querystring))).toEqual(view(readAndGate(protocol, req, context, querystring, gate)))
          }
        },
      ),
      200,
    )
  })

  it('hands back the very same read for a repeated request (the memo is used)', () => {
    const memo = createReadMemo(gate)
    const req = { headers: { 'x-original-url': 'https://app.example.com/public/x', 'x-original-method': 'GET' }, method: 'GET', target: '/oauth2/auth' }
    const first = memo('nginx', req, ctx(true, false), '')
    expect('refused' in first).toBe(false)
    expect(memo('nginx', { ...req, headers: { ...req.headers } }, ctx(true, false), '')).toBe(first)
    // an identity header is refused per request, even when the URL's read is memoised
    expect(memo('nginx', { ...req, headers: { ...req.headers, 'x-auth-request-user': 'a' } }, ctx(true, false), '')).toEqual({ refused: 'identity-header' })
  })

  it('keys an absent header too, so a value cannot move into its place', () => {
    const memo = createReadMemo(gate)
    const c = ctx(true, false)
    const url = memo('nginx', { headers: { 'x-original-url': 'GET' }, method: 'GET', target: '/' }, c, '')
    const method = memo('nginx', { headers: { 'x-original-method': 'GET' }, method: 'GET', target: '/' }, c, '')
    expect(view(url)).toEqual({ refused: 'bad-url' })
    expect(view(method)).toMatchObject({ href: undefined, method: 'GET' })
  })

  it('keys by lengths, so values cannot be shifted between headers', () => {
    const memo = createReadMemo(gate)
    const c = ctx(true, false)
    const a = memo('forward-auth', { headers: { 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/internal' }, method: 'GET', target: '/' }, c, '')
    const b = memo('forward-auth', { headers: { 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/public' }, method: 'GET', target: '/' }, c, '')
    expect(view(a)).not.toEqual(view(b))
  })
})
