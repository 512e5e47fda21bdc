import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createLocalJWKSet, jwtVerify } from 'jose'
import type { IncomingMessage } from 'node:http'
import { accessRequest, decide, resultLabel, type AccessRequest, type Outcome } from '../../../src/access/decide.js'
import { compileRequirement } from '../../../src/access/authorize.js'
import { ephemeralKeySet } from '../../../src/assertion/keys.js'
import { createQueryChecks } from '../../../src/access/query-cache.js'
import { configSchema } from '../../../src/config/schema.js'
import { ACCESS_TOKEN_HEADER, identityHeaderValues } from '../../../src/headers/identity.js'
import type { Identity } from '../../../src/plugin.js'
import { createTrustedProxyCheck } from '../../../src/request/trusted-proxies.js'
import { ANONYMOUS } from '../../../src/rules/gate.js'
import type { Runtime } from '../../../src/runtime.js'
import type { ActiveSession } from '../../../src/session/session.js'
import type { BearerVerdict } from '../../../src/tokens/bearer.js'
import { assertProperty } from '../../helpers/property.js'
import { pairsOf } from '../../helpers/headers.js'

const alice: Identity = { subject: 'a1', user: 'alice', email: 'alice@example.com', groups: ['ops'], roles: [], provider: 'corp', expiresAt: 2_000_000_000 }
const aliceApi: Identity = { ...alice, user: 'alice-api' }
// The headers come from the identity through the config's mapping (default: the X-Auth-Request-* set), not from
// what the session or bearer cache hands over.
const SESSION_HEADERS = identityHeaderValues(alice).flat()
const BEARER_HEADERS = identityHeaderValues(aliceApi).flat()

interface Options {
  session?: 'none' | 'sync' | 'async' | 'async-none'
  accessToken?: string
  bearer?: false | BearerVerdict | Promise<BearerVerdict>
  passAccessToken?: boolean
  passAuthorization?: boolean
  login?: (identity: Identity) => boolean
  deny?: boolean
  public?: boolean
  require?: (identity: Identity) => boolean
  /** The session's identity (default alice). */
  identity?: Identity
  /** `headers.presets` and `headers.custom` (default: the X-Auth-Request-* set). */
  mapping?: Record<string, unknown>
  /** The signed identity assertion on, with a generated key. */
  assertion?: boolean
}

const ASSERTION_HEADER = 'X-Gatehouse-Assertion'
const keys = ephemeralKeySet()

/** A Runtime with the real query checks and peer check; sessions, bearer tokens and rules answer as told. */
function runtime(o: Options = {}) {
  const tokens: string[] = []
  /** Every rule walk (rules.match call). */
  const walks: string[] = []
  const verdict = (label: string, action: object) => (request: { url?: URL }) => {
    walks.push(request.url?.href ?? '')
    return { rule: { label }, action }
  }
  const active: ActiveSession = {
    session: { identity: o.identity ?? alice, accessToken: o.accessToken } as ActiveSession['session'],
    cacheKey: 'k',
    generation: 0,
  }
  const rt = {
    config: {
      server: { publicUrl: new URL('https://auth.example.com'), trustForwardedPrefix: false },
      headers: Object.freeze(
        configSchema.shape.headers.parse({ passAccessToken: o.passAccessToken ?? false, passAuthorization: o.passAuthorization ?? false, ...o.mapping }),
      ),
      assertion: o.assertion ? { header: ASSERTION_HEADER, ttlSeconds: 60, keys } : undefined,
    },
    defaultScheme: 'https',
    isTrustedPeer: createTrustedProxyCheck(['10.0.0.0/8']),
    rules: o.deny
      ? { trivial: false, match: verdict('no', { kind: 'deny' }) }
      : o.public
        ? { trivial: false, match: verdict('pub', { kind: 'public' }) }
        : o.require
          ? { trivial: false, match: verdict('req', { kind: 'require', check: o.require }) }
          : { trivial: true },
    loginChecks: new Map([['corp', o.login ?? compileRequirement(undefined)]]),
    queryChecks: createQueryChecks(),
    bearer: {
      active: o.bearer !== undefined && o.bearer !== false,
      check: (token: string) => {
        tokens.push(token)
        return o.bearer
      },
    },
    sessions: {
      load: (cookie: string | undefined) => {
        if (cookie !== 'gh=1') return undefined
        switch (o.session ?? 'sync') {
          case 'none':
            return undefined
          case 'sync':
            return active
          case 'async':
            return Promise.resolve(active)
          case 'async-none':
            return Promise.resolve(undefined)
        }
      },
    },
  }
  return { rt: rt as unknown as Runtime, tokens, walks }
}

const request = (headers: Record<string, string> = {}, over: Partial<AccessRequest> = {}): AccessRequest => ({
  headers: { cookie: 'gh=1', ...headers },
  peer: '192.0.2.1',
  protocol: 'forward-auth',
  method: 'GET',
  target: '/oauth2/forward-auth',
  querystring: '',
  ...over,
})

const run = async (o: Options, headers?: Record<string, string>, over?: Partial<AccessRequest>): Promise<Outcome> =>
  decide(runtime(o).rt, request(headers, over))

describe('decide with a session cookie', () => {
  it('allows a signed-in identity with its session headers, synchronously when the session is cached', () => {
    const outcome = decide(runtime().rt, request())
    expect(outcome).not.toBeInstanceOf(Promise)
    expect(outcome).toMatchObject({ result: 'allow', method: 'cookie', identity: alice, headers: SESSION_HEADERS })
  })

  it('waits for a session that must be loaded', async () => {
    expect(await run({ session: 'async' })).toMatchObject({ result: 'allow', method: 'cookie', identity: alice })
    expect(await run({ session: 'async-none' })).toMatchObject({ result: 'unauthenticated', method: 'none', invalidToken: false })
  })

  it('without any credential: unauthenticated, not an invalid token', async () => {
    const outcome = await run({}, { cookie: '' })
    expect(outcome).toMatchObject({ result: 'unauthenticated', method: 'none', invalidToken: false })
    expect(resultLabel(outcome)).toBe('unauthenticated')
  })

  it('forbids an identity its provider login check refuses, or from a provider no longer configured', async () => {
    expect(await run({ login: () => false })).toMatchObject({ result: 'forbidden', method: 'cookie', identity: alice })
    const { rt } = runtime()
    ;(rt.loginChecks as Map<string, unknown>).clear()
    expect(await decide(rt, request())).toMatchObject({ result: 'forbidden' })
  })

  it('applies query constraints in addition (AND)', async () => {
    expect(await run({}, {}, { querystring: 'allowed_groups=ops' })).toMatchObject({ result: 'allow' })
    expect(await run({}, {}, { querystring: 'allowed_groups=admins' })).toMatchObject({ result: 'forbidden' })
    expect(await run({ login: () => false }, {}, { querystring: 'allowed_groups=ops' })).toMatchObject({ result: 'forbidden' })
  })
})

describe('decide passes the access token only when configured', () => {
  it('adds neither header by default', async () => {
    const outcome = await run({ accessToken: 'at-1' })
    expect(outcome).toMatchObject({ result: 'allow', headers: SESSION_HEADERS })
  })

  it('passAccessToken adds X-Auth-Request-Access-Token, passAuthorization an Authorization: Bearer header', async () => {
    const both = await run({ accessToken: 'at-1', passAccessToken: true, passAuthorization: true })
    expect(both).toMatchObject({
      result: 'allow',
      headers: [...SESSION_HEADERS, ACCESS_TOKEN_HEADER, 'at-1', 'Authorization', 'Bearer at-1'],
    })
    expect(await run({ accessToken: 'at-1', passAccessToken: true })).toMatchObject({ headers: [...SESSION_HEADERS, ACCESS_TOKEN_HEADER, 'at-1'] })
    expect(await run({ accessToken: 'at-1', passAuthorization: true })).toMatchObject({ headers: [...SESSION_HEADERS, 'Authorization', 'Bearer at-1'] })
    // the identity's own header list is not changed by adding the token
    expect(await run({ accessToken: 'at-1' })).toMatchObject({ headers: SESSION_HEADERS })
  })

  it('adds nothing when the session holds no access token', async () => {
    expect(await run({ passAccessToken: true, passAuthorization: true })).toMatchObject({ headers: SESSION_HEADERS })
  })
})

describe('decide with an Authorization header', () => {
  const entry: BearerVerdict = { identity: aliceApi }

  it('judges a Bearer token instead of the cookie, any case of the scheme, token trimmed', async () => {
    for (const header of ['Bearer tok.en', 'bearer tok.en', 'BEARER  tok.en ']) {
      const { rt, tokens } = runtime({ bearer: entry })
      expect(await decide(rt, request({ authorization: header }))).toMatchObject({ result: 'allow', method: 'bearer' })
      expect(tokens).toEqual(['tok.en'])
    }
    expect(await run({ bearer: Promise.resolve(entry) }, { authorization: 'Bearer x' })).toMatchObject({ result: 'allow', method: 'bearer' })
  })

  it('other schemes, and a bare "Bearer", are the app\'s business: the cookie decides', async () => {
    for (const header of ['Basic YWxpY2U6cHc=', 'Bearerx tok', 'Token tok', 'Bearer', 'Bearer ', 'Bear tok']) {
      const { rt, tokens } = runtime({ bearer: entry })
      expect(await decide(rt, request({ authorization: header }))).toMatchObject({ result: 'allow', method: 'cookie' })
      expect(tokens).toEqual([])
    }
  })

  it('an empty or refused token is an invalid token, whatever the cookie says', async () => {
    for (const header of ['Bearer  ', 'Bearer    ']) {
      const outcome = await run({ bearer: entry }, { authorization: header })
      expect(outcome).toMatchObject({ result: 'unauthenticated', method: 'bearer', invalidToken: true })
      expect(resultLabel(outcome)).toBe('invalid_token')
    }
    expect(await run({ bearer: 'invalid' }, { authorization: 'Bearer x' })).toMatchObject({ result: 'unauthenticated', method: 'bearer', invalidToken: true })
    expect(await run({ bearer: Promise.resolve('forbidden' as const) }, { authorization: 'Bearer x' })).toMatchObject({ result: 'forbidden', method: 'bearer' })
  })

  it('a bearer identity meets the same checks and header options as a session', async () => {
    expect(await run({ bearer: entry, login: () => false }, { authorization: 'Bearer x' })).toMatchObject({ result: 'forbidden', method: 'bearer' })
    expect(await run({ bearer: entry, passAuthorization: true }, { authorization: 'Bearer x' })).toMatchObject({
      headers: [...BEARER_HEADERS, 'Authorization', 'Bearer x'],
    })
  })

  it('with bearer tokens accepted, a request without Authorization is judged by its cookie', async () => {
    const { rt, tokens } = runtime({ bearer: entry })
    expect(await decide(rt, request())).toMatchObject({ result: 'allow', method: 'cookie' })
    expect(tokens).toEqual([])
  })

  it('without anything accepting bearer tokens, the header is ignored', async () => {
    const { rt, tokens } = runtime({ bearer: false })
    expect(await decide(rt, request({ authorization: 'Bearer x' }))).toMatchObject({ result: 'allow', method: 'cookie' })
    expect(tokens).toEqual([])
  })
})

describe('decide reads the request first', () => {
  it('refuses a request carrying an identity header before looking at any credential', async () => {
    const outcome = await run({}, { 'x-auth-request-user': 'boss' })
    expect(outcome).toEqual({ result: 'refused', method: 'none', code: 'identity-header', rule: 'refused:identity-header' })
    expect(resultLabel(outcome)).toBe('refused')
    expect(await run({ bearer: { identity: alice } }, { 'x-auth-request-user': 'boss', authorization: 'Bearer x' })).toMatchObject({ result: 'refused' })
  })

  it('believes forwarded headers from trusted peers only', async () => {
    const fwd = { 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/x', cookie: '' }
    const trusted = await run({}, fwd, { peer: '10.1.1.1' })
    const untrusted = await run({}, fwd)
    expect(trusted.result === 'unauthenticated' && trusted.original.url?.href).toBe('https://app.example.com/x')
    expect(untrusted.result === 'unauthenticated' && untrusted.original.url).toBeUndefined()
  })

  it('a rule\'s requirement applies on top of the login check, for sessions and bearer tokens', async () => {
    expect(await run({ require: (i) => i.groups.includes('ops') })).toMatchObject({ result: 'allow', rule: 'req' })
    expect(await run({ require: () => false })).toMatchObject({ result: 'forbidden', method: 'cookie', rule: 'req' })
    const entry: BearerVerdict = { identity: alice }
    expect(await run({ require: () => false, bearer: entry }, { authorization: 'Bearer x' })).toMatchObject({ result: 'forbidden', method: 'bearer' })
  })

  it('applies the rules unless told to skip them', async () => {
    expect(await run({ deny: true })).toMatchObject({ result: 'forbidden', method: 'none', rule: 'no' })
    expect(await run({ deny: true }, {}, { skipRules: true, protocol: 'none' })).toMatchObject({ result: 'allow', rule: 'default' })
  })
})

/** A request through a trusted proxy naming the app: the original URL, and so the assertion's audience, is known. */
const TRUSTED = '10.1.1.1'
const FORWARDED = { 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/x' }
const ANONYMOUS_HEADERS = identityHeaderValues(ANONYMOUS).flat()
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
/** What a header value may hold once encoded (one char per byte, UTF-8 bytes as 0x80–0xff): no CR, LF or other control. */
const HEADER_SAFE = /^[\u0020-\u007e\u0080-\u00ff]*$/

describe('decide refuses what the headers cannot carry safely (403, never a broken or injected header)', () => {
  // Control characters (CR/LF above all) often, printable and non-ASCII text too.
  const text = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)), fc.constantFrom('é', 'ß', '日', ' ')), maxLength: 8 })

  it('an identity value with a control character is forbidden; any other value is allowed, its headers free of them', () => {
    assertProperty(
      fc.property(fc.constantFrom('user', 'email', 'preferredUsername'), text, (field, value) => {
        const identity: Identity = { ...alice, [field]: value }
        const outcome = decide(runtime({ identity }).rt, request()) as Outcome
        if (CONTROL.test(value)) {
          expect(outcome).toMatchObject({ result: 'forbidden', method: 'cookie', identity, rule: 'default' })
          expect(outcome.result === 'forbidden' && outcome.original).toMatchObject({ method: 'GET' })
        } else {
          expect(outcome).toMatchObject({ result: 'allow', method: 'cookie', identity })
          for (const [, v] of pairsOf(outcome.result === 'allow' ? outcome.headers : [])) expect(v).toMatch(HEADER_SAFE)
        }
      }),
      200,
    )
  })

  it('an access token to pass that is not visible ASCII is forbidden; a well-formed one is passed', () => {
    assertProperty(
      fc.property(fc.oneof(text, fc.string({ minLength: 1 })).filter((t) => t !== ''), (token) => {
        const outcome = decide(runtime({ accessToken: token, passAccessToken: true }).rt, request()) as Outcome
        if (/^[\u0021-\u007e]+$/.test(token)) expect(outcome).toMatchObject({ result: 'allow', headers: [...SESSION_HEADERS, ACCESS_TOKEN_HEADER, token] })
        else expect(outcome).toMatchObject({ result: 'forbidden', method: 'cookie', identity: alice, rule: 'default' })
      }),
      200,
    )
  })

  it('a bearer identity is refused the same way', async () => {
    const identity = { ...aliceApi, user: 'alice\r\nX-Auth-Request-Groups: admins' }
    expect(await run({ bearer: { identity } }, { authorization: 'Bearer x' })).toMatchObject({ result: 'forbidden', method: 'bearer', identity })
  })
})

describe('decide with the signed identity assertion', () => {
  const jwks = createLocalJWKSet({ keys: [...keys.published] })

  it('a signed-in allow carries a JWT for the app\'s host: signed on first use, then answered synchronously', async () => {
    const { rt } = runtime({ assertion: true })
    const first = decide(rt, request(FORWARDED, { peer: TRUSTED }))
    expect(first).toBeInstanceOf(Promise)
    const outcome = await first
    expect(outcome).toEqual({ result: 'allow', method: 'cookie', identity: alice, headers: [...SESSION_HEADERS, ASSERTION_HEADER, expect.any(String)], rule: 'default' })
    const jwt = outcome.result === 'allow' ? outcome.headers.at(-1)! : ''
    const { payload } = await jwtVerify(jwt, jwks, { issuer: 'https://auth.example.com', audience: 'app.example.com' })
    expect(payload).toMatchObject({ sub: alice.subject, email: alice.email, groups: alice.groups })
    const again = decide(rt, request(FORWARDED, { peer: TRUSTED }))
    expect(again).not.toBeInstanceOf(Promise)
    expect(again).toEqual(outcome)
  })

  it('a bearer identity carries one too, with its own subject', async () => {
    const outcome = await run({ assertion: true, bearer: { identity: aliceApi } }, { ...FORWARDED, authorization: 'Bearer x' }, { peer: TRUSTED })
    expect(outcome).toMatchObject({ result: 'allow', method: 'bearer', headers: [...BEARER_HEADERS, ASSERTION_HEADER, expect.any(String)] })
    const jwt = outcome.result === 'allow' ? outcome.headers.at(-1)! : ''
    expect((await jwtVerify(jwt, jwks, { audience: 'app.example.com' })).payload.sub).toBe(aliceApi.subject)
  })

  it('without a known host there is no audience: allowed without an assertion (an app that requires one refuses)', () => {
    const outcome = decide(runtime({ assertion: true }).rt, request(FORWARDED))
    expect(outcome).toEqual({ result: 'allow', method: 'cookie', identity: alice, headers: SESSION_HEADERS, rule: 'default' })
  })

  it('a public answer carries none: nobody to vouch for', () => {
    const outcome = decide(runtime({ assertion: true, public: true }).rt, request(FORWARDED, { peer: TRUSTED }))
    expect(outcome).toEqual({ result: 'allow', method: 'anonymous', identity: ANONYMOUS, headers: ANONYMOUS_HEADERS, rule: 'pub' })
  })

  it('without the assertion configured, a known host changes nothing', () => {
    const outcome = decide(runtime().rt, request(FORWARDED, { peer: TRUSTED }))
    expect(outcome).toEqual({ result: 'allow', method: 'cookie', identity: alice, headers: SESSION_HEADERS, rule: 'default' })
  })
})

describe('decide with an `allow: public` rule', () => {
  it('answers anonymously, whatever the cookie, with every header of the configured mapping present and empty', () => {
    const mapping = { presets: ['forwarded'], custom: [{ name: 'X-WEBAUTH-USER', field: 'preferred_username' }] }
    expect(decide(runtime({ public: true, mapping }).rt, request())).toEqual({
      result: 'allow',
      method: 'anonymous',
      identity: ANONYMOUS,
      headers: ['X-Forwarded-User', '', 'X-Forwarded-Email', '', 'X-Forwarded-Groups', '', 'X-Forwarded-Preferred-Username', '', 'X-WEBAUTH-USER', ''],
      rule: 'pub',
    })
  })
})

describe('decide memoises the read and the rule verdict per runtime', () => {
  it('a proxy repeating one URL gets the same answer with one rule walk; another URL, or a reloaded runtime, walks its own', () => {
    const { rt, walks } = runtime({ public: true })
    const first = decide(rt, request(FORWARDED, { peer: TRUSTED }))
    expect(decide(rt, request(FORWARDED, { peer: TRUSTED }))).toEqual(first)
    expect(walks).toEqual(['https://app.example.com/x'])
    expect(decide(rt, request({ ...FORWARDED, 'x-forwarded-uri': '/y' }, { peer: TRUSTED }))).toMatchObject({ result: 'allow', rule: 'pub' })
    expect(walks).toEqual(['https://app.example.com/x', 'https://app.example.com/y'])
    // A reload builds a new runtime: its rules decide, not the old runtime's memo.
    const reloaded = runtime({ deny: true })
    expect(decide(reloaded.rt, request(FORWARDED, { peer: TRUSTED }))).toMatchObject({ result: 'forbidden', rule: 'no' })
    expect(reloaded.walks).toEqual(['https://app.example.com/x'])
  })
})

describe('accessRequest', () => {
  const req = (over: Partial<IncomingMessage>) =>
    ({ headers: { a: 'b' }, socket: { remoteAddress: '192.0.2.7' }, method: 'POST', url: '/x?y', ...over }) as IncomingMessage
  it('takes headers, peer, method and target from the request', () => {
    expect(accessRequest(req({}), 'nginx', 'q=1')).toEqual({
      headers: { a: 'b' },
      peer: '192.0.2.7',
      protocol: 'nginx',
      method: 'POST',
      target: '/x?y',
      querystring: 'q=1',
      skipRules: false,
    })
  })
  it('defaults to GET / with no query, and skips the rules only for the protocol-less endpoint', () => {
    expect(accessRequest(req({ method: undefined, url: undefined }), 'none')).toMatchObject({ method: 'GET', target: '/', querystring: '', skipRules: true })
    expect(accessRequest(req({}), 'upstream').skipRules).toBe(false)
  })
})
