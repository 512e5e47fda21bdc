import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { buildConfig } from '../../../src/config/load.js'
import { createMetrics } from '../../../src/metrics.js'
import { createSessionCookies, type ActiveSession } from '../../../src/session/session.js'
import { createCredentialCache } from '../../../src/tokens/cache.js'
import { headerMapping } from '../../../src/headers/mapping.js'
import type { Identity } from '../../../src/plugin.js'
import { compileClause } from '../../../src/rules/requirement.js'
import { slimIdentity } from '../../../src/session/slim.js'
import { assertAsyncProperty, assertProperty } from '../../helpers/property.js'
import { identity } from '../../helpers/session.js'
import { randomSecret } from '../../helpers/stack.js'

async function sessionsWith(headers: { passAccessToken: boolean; passAuthorization: boolean }) {
  const config = await buildConfig({
    server: { publicUrl: 'https://auth.example.com' },
    cookie: { secret: randomSecret() },
    providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
    authorization: {},
    headers,
  })
  const cache = createCredentialCache<ActiveSession>({ name: 'session', maxEntries: 100, maxTtlSeconds: 60, metrics: createMetrics() })
  return createSessionCookies(config, cache)
}

const token = fc.option(fc.string({ minLength: 1, maxLength: 60 }).map((s) => `t.${Buffer.from(s).toString('base64url')}.x`), { nil: undefined })

describe('cached session entries (decisionSession)', () => {
  it('keep no id_token or refresh token, the access token only when the app receives it; idToken() reads it back', async () => {
    const byConfig = new Map<string, Awaited<ReturnType<typeof sessionsWith>>>()
    await assertAsyncProperty(
      fc.asyncProperty(fc.boolean(), fc.boolean(), token, token, token, fc.option(fc.uuid(), { nil: undefined }), async (pat, pa, idToken, accessToken, refreshToken, sid) => {
        const k = `${pat}${pa}`
        if (!byConfig.has(k)) byConfig.set(k, await sessionsWith({ passAccessToken: pat, passAuthorization: pa }))
        const sessions = byConfig.get(k)!
        const session = sessions.create({ identity: identity(), idToken, accessToken, refreshToken, sid, accessExpiresAt: 2_000_000_000 })
        const header = sessions.write(session, undefined)[0]!.split(';')[0]!
        const active = (await sessions.load(header))!
        expect(active.session).toEqual({
          id: session.id,
          identity: session.identity,
          sid,
          createdAt: session.createdAt,
          refreshedAt: session.refreshedAt,
          expiresAt: session.expiresAt,
          accessExpiresAt: 2_000_000_000,
          accessToken: pat || pa ? accessToken : undefined,
        })
        expect(active.session.idToken).toBeUndefined()
        expect(active.session.refreshToken).toBeUndefined()
        await expect(sessions.idToken(active, header)).resolves.toBe(idToken)
        // Another session's cookie never lends its id_token.
        const other = sessions.write(sessions.create({ identity: identity(), idToken: 'other.id.token' }), undefined)[0]!.split(';')[0]!
        await expect(sessions.idToken(active, other)).resolves.toBeUndefined()
        await expect(sessions.idToken(active, undefined)).resolves.toBeUndefined()
      }),
      60,
    )
  })
})

// Names from small pools, so equal lists recur (interning is exercised), with the separator, a
// control character, `org:team` GitHub groups and non-ASCII text among them.
const name = fc.constantFrom('staff', 'sre', 'Admin', 'org', 'org:team', 'a,b', 'x|y', 'bad\r\nX: 1', 'grüße', 'offline_access', 'corp:viewer', '')
const names = fc.array(name, { maxLength: 6 })
const arbIdentity: fc.Arbitrary<Identity> = fc
  .record({
    subject: fc.constantFrom('u-1', 'u-2', 'sub\n'),
    sameUser: fc.boolean(),
    email: fc.option(fc.constantFrom('alice@example.com', 'bob@corp.example', 'éve@example.com'), { nil: undefined }),
    preferredUsername: fc.option(fc.constantFrom('alice', 'bob', 'b\u0007'), { nil: undefined }),
    groups: names,
    roles: names,
    provider: fc.constantFrom('corp', 'gh', 'google'),
  })
  .map(({ sameUser, ...r }) => ({ ...r, user: sameUser ? r.subject : `${r.subject}-user`, expiresAt: 2_000_000_000 }))
const arbClause = fc.record(
  {
    groups: fc.array(name, { maxLength: 3 }),
    roles: fc.array(name, { maxLength: 3 }),
    emails: fc.array(fc.constantFrom('alice@example.com', 'bob@corp.example'), { maxLength: 2 }),
    emailDomains: fc.array(fc.constantFrom('example.com', 'corp.example'), { maxLength: 2 }),
    providers: fc.array(fc.constantFrom('corp', 'gh'), { maxLength: 2 }),
    githubOrgs: fc.array(fc.constantFrom('org', 'other'), { maxLength: 2 }),
    githubTeams: fc.array(fc.constantFrom('org:team', 'org:other'), { maxLength: 2 }),
  },
  { requiredKeys: [] },
)

describe('slimIdentity (interned lists and strings in cached entries)', () => {
  it('decides and maps headers exactly as the full identity, for generated identities, rules and header configs', async () => {
    const configs = await Promise.all(
      [
        { roles: true, separator: ',' },
        { roles: false, separator: '|', custom: [{ name: 'X-Teams', field: 'groups' as const, separator: ';' }, { name: 'X-Idp', field: 'provider' as const }] },
      ].map(async (headers) =>
        (
          await buildConfig({
            server: { publicUrl: 'https://auth.example.com' },
            cookie: { secret: randomSecret() },
            providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
            authorization: {},
            headers: { presets: ['xauthrequest', 'forwarded'], ...headers },
          })
        ).headers,
      ),
    )
    const github = new Set(['gh'])
    // Not structuredClone: under jest's VM its copies carry another realm's prototypes.
    const clone = (i: Identity): Identity => ({ ...i, groups: [...i.groups], roles: [...i.roles] })
    assertProperty(
      fc.property(arbIdentity, fc.array(arbClause, { minLength: 1, maxLength: 3 }), (full, clauses) => {
        const copy = clone(full)
        const slim = slimIdentity(full)
        expect(slim).toStrictEqual(full)
        // The input is left as it was; the shared lists cannot be changed through one entry.
        expect(full).toStrictEqual(copy)
        expect(Object.isFrozen(slim.groups) && Object.isFrozen(slim.roles)).toBe(true)
        // An equal identity decoded again shares the lists.
        const again = slimIdentity(clone(full))
        expect(again.groups).toBe(slim.groups)
        expect(again.roles).toBe(slim.roles)
        for (const clause of clauses) expect(compileClause(clause, github)(slim)).toBe(compileClause(clause, github)(full))
        for (const headers of configs) {
          const mapping = headerMapping(headers)
          expect(mapping.identity(slim)).toEqual(mapping.identity(full))
          // The second identity's headers come from the shared pairs: still its own values.
          expect(mapping.identity(again)).toEqual(mapping.identity(copy))
        }
      }),
      300,
    )
  })
})
