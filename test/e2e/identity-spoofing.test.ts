/**
 * A client must never get an identity of its choosing to the application, through any of the examples: generated
 * sets of identity-like headers (X-Auth-Request-*, X-Forwarded-User, Remote-User, … in any case and with `_` for
 * `-`), optionally named in `Connection:` so that a proxy drops Gatehouse's copy after the auth check, sent by an
 * anonymous client to a public path and by a signed-in user (bob) to a protected one. Behind Caddy also to a FastCGI
 * responder, where `X_Auth_Request_User` and `X-Auth-Request-User` both become HTTP_X_AUTH_REQUEST_USER.
 *
 *   SPOOF_RUNS   generated requests per proxy (default 200; half fixed seed 20261202, half random)
 *   SPOOF_SEED   replaces the random seed (printed) to replay a failure
 *   SPOOF_ONLY   comma-separated proxies to run (nginx, caddy, caddy-fastcgi, traefik)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { startFleet, sendRaw, type Fleet, type Reply } from './harness/fleet.js'
import { APP_HOST } from './harness/stack.js'

const RUNS = Number(process.env.SPOOF_RUNS ?? 200)
const FIXED_SEED = 20261202
const RANDOM_SEED = process.env.SPOOF_SEED ? Number(process.env.SPOOF_SEED) : Math.floor(Math.random() * 2 ** 31)
const SPOOF = 'mallory'
const NAMES = ['nginx', 'caddy', 'caddy-fastcgi', 'traefik'].filter((n) => !process.env.SPOOF_ONLY || process.env.SPOOF_ONLY.split(',').includes(n))

/** Headers Gatehouse sets (checked against its value) and others apps commonly take an identity from (must not arrive). */
const GATEHOUSE_SET = ['x-auth-request-user', 'x-auth-request-email', 'x-auth-request-groups', 'x-auth-request-preferred-username']
const IDENTITY_LIKE = [...GATEHOUSE_SET, 'x-auth-request-access-token', 'x-forwarded-user', 'x-forwarded-email',
  'x-forwarded-preferred-username', 'x-forwarded-groups', 'remote-user', 'x-remote-user', 'x-webauth-user']

const norm = (name: string) => name.toLowerCase().replace(/_/g, '-')

const spelling = (base: string) =>
  fc
    .tuple(fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.constantFrom<'title' | 'lower' | 'upper'>('title', 'lower', 'upper'))
    .map(([under, kase]) => {
      let i = 0
      const name = base.replace(/-/g, () => (under[i++ % 8] ? '_' : '-'))
      const cased = kase === 'lower' ? name : kase === 'upper' ? name.toUpperCase() : name.replace(/(^|[-_])([a-z])/g, (_m, s: string, c: string) => s + c.toUpperCase())
      return cased
    })

const nameArb = fc.constantFrom(...IDENTITY_LIKE).chain(spelling)

interface Case {
  who: 'anon' | 'bob'
  spoofed: string[]
  connection: string[]
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  who: fc.constantFrom<Case['who']>('anon', 'bob'),
  // an empty set now and then: the control that proves the request reaches the app at all
  spoofed: fc.oneof({ arbitrary: fc.constant<string[]>([]), weight: 1 }, { arbitrary: fc.uniqueArray(nameArb, { minLength: 1, maxLength: 6, selector: (n) => n }), weight: 6 }),
  connection: fc.oneof({ arbitrary: fc.constant<string[]>([]), weight: 1 }, { arbitrary: fc.uniqueArray(nameArb, { minLength: 1, maxLength: 3 }), weight: 1 }),
})

function generate(): Case[] {
  const half = Math.ceil(RUNS / 2)
  return [...fc.sample(caseArb, { seed: FIXED_SEED, numRuns: half }), ...fc.sample(caseArb, { seed: RANDOM_SEED, numRuns: RUNS - half })]
}
const SEEDS = `fixed seed ${FIXED_SEED}, random seed ${RANDOM_SEED}; replay: SPOOF_SEED=${RANDOM_SEED}`

/** What the app saw under identity-like names: [normalised name, value, name as received]. */
function identityPairs(pairs: [string, string][]): [string, string, string][] {
  return pairs.map(([n, v]) => [norm(n), v, n] as [string, string, string]).filter(([n]) => IDENTITY_LIKE.includes(n))
}

function check(c: Case, pairs: [string, string][], expectedUser: string): string[] {
  const problems: string[] = []
  for (const [n, v, raw] of identityPairs(pairs)) {
    if (v.includes(SPOOF)) problems.push(`${raw}: ${v}`)
    else if (n === 'x-auth-request-user' && v !== expectedUser) problems.push(`${raw}: ${JSON.stringify(v)} (Gatehouse said ${JSON.stringify(expectedUser)})`)
  }
  void c
  return problems
}

describe('identity headers sent by the client never reach the app', () => {
  let fleet: Fleet | undefined
  const summary: string[] = []

  beforeAll(async () => {
    fleet = await startFleet({
      label: 'identity-spoofing',
      // the first one carries the browser login
      proxies: [
        { name: 'caddy', kind: 'caddy' as const },
        { name: 'caddy-fastcgi', kind: 'caddy' as const, fastcgi: true },
        { name: 'nginx', kind: 'nginx' as const },
        { name: 'traefik', kind: 'traefik' as const },
      ].filter((p) => p.name === 'caddy' || NAMES.includes(p.name)),
      rules: [{ name: 'public', paths: ['/public'], allow: 'public' }],
      users: ['bob'],
    })
  }, 240_000)

  afterAll(async () => {
    process.stdout.write(`\nidentity spoofing (${SEEDS}):\n${summary.join('\n')}\n`)
    await fleet?.stop()
  }, 60_000)

  const f = (): Fleet => {
    if (!fleet) throw new Error('the fleet did not start (see the beforeAll error)')
    return fleet
  }

  // Gatehouse reads constraints such as ?allowed_groups= from the check's own query; a proxy that passes the
  // client's query string to the check lets the client choose them (the Caddy example's `uri` used to).
  for (const name of NAMES) {
    it(`${name}: the client's query string never reaches the check as Gatehouse constraints`, async () => {
      const t = f().targets.find((x) => x.name === name)!
      const query = 'allowed_groups=nobody-has-this&allowed_emails=nobody@invalid.test'
      const lines = [`GET /query-${name}?${query} HTTP/1.1`, `Host: ${APP_HOST}:${t.port}`, `X-Probe: query-${name}`, `Cookie: ${f().cookies.bob}`, 'Connection: close']
      const reply = await sendRaw(t, lines.join('\r\n') + '\r\n\r\n')
      expect(reply.status).toBe(200)
      const hit = name === 'caddy-fastcgi' ? f().fastcgi!.byProbe.get(`query-${name}`) : f().app.byProbe.get(`query-${name}`)
      expect(hit).toBeDefined()
    })
  }

  for (const name of NAMES) {
    it(`${name}: generated identity headers (any spelling, Connection-listed) never reach the app`, async () => {
      const t = f().targets.find((x) => x.name === name)!
      const violations: string[] = []
      const statuses = new Map<string, number>()
      let reached = 0
      let controls = 0
      const cases = generate()
      for (const [i, c] of cases.entries()) {
        const id = `${name}-${i}`
        const path = c.who === 'anon' ? `/public/spoof-${i}` : `/spoof-${i}`
        const lines = [`GET ${path} HTTP/1.1`, `Host: ${APP_HOST}:${t.port}`, `X-Probe: ${id}`, 'Accept: application/json']
        if (c.who === 'bob') lines.push(`Cookie: ${f().cookies.bob}`)
        for (const h of c.spoofed) lines.push(`${h}: ${SPOOF}`)
        lines.push(`Connection: ${['close', ...c.connection].join(', ')}`)
        // status 0: closed without an answer (errors from Node's core are not `instanceof Error` under Jest)
        const reply: Reply = await sendRaw(t, lines.join('\r\n') + '\r\n\r\n').catch(() => ({ status: 0, headers: {}, body: '' }))
        const key = reply.status === 0 ? 'closed' : String(reply.status)
        statuses.set(key, (statuses.get(key) ?? 0) + 1)
        const expectedUser = c.who === 'anon' ? '' : f().subjects.bob!
        let pairs: [string, string][] | undefined
        if (name === 'caddy-fastcgi') {
          const hit = f().fastcgi!.byProbe.get(id)
          pairs = hit?.pairs.filter(([k]) => k.startsWith('HTTP_')).map(([k, v]) => [k.slice(5), v])
        } else {
          const hit = f().app.byProbe.get(id)
          if (hit) pairs = Array.from({ length: hit.rawHeaders.length / 2 }, (_, j) => [hit.rawHeaders[2 * j]!, hit.rawHeaders[2 * j + 1]!])
        }
        const describe = `[${c.who}] spoofed ${JSON.stringify(c.spoofed)} Connection ${JSON.stringify(c.connection)}`
        if (!pairs) {
          // Refusing is a safe answer; a request without any spoofed header must get through though.
          if (c.spoofed.length === 0 && c.connection.length === 0) violations.push(`${describe}: the control request did not reach the app (${key})`)
          continue
        }
        reached++
        if (c.spoofed.length === 0 && c.connection.length === 0) controls++
        const problems = check(c, pairs, expectedUser)
        if (problems.length > 0) violations.push(`${describe}: the app got ${problems.join('; ')}`)
      }
      const line = `${name}: ${cases.length} requests, ${reached} reached the app (${controls} controls), statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, ${violations.length} violations`
      summary.push(line)
      process.stdout.write(`${line}\n`)
      if (violations.length > 0) throw new Error(`${violations.length} spoofed identities reached the app through ${name} (${SEEDS}):\n  ${violations.slice(0, 12).join('\n  ')}`)
      expect(controls).toBeGreaterThan(0)
    }, 180_000)
  }
})
