import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { buildConfig } from '../../../src/config/load.js'
import { createMetrics } from '../../../src/metrics.js'
import { createSessionCookies, type ActiveSession } from '../../../src/session/session.js'
import { createCredentialCache } from '../../../src/tokens/cache.js'
import { assertAsyncProperty } from '../../helpers/property.js'
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
