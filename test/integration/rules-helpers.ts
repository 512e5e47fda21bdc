/** Shared set-up for the rules and reload integration tests: a Gatehouse with rules, no IdP. */
import { randomBytes } from 'node:crypto'
import { buildConfig, type Config } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import type { Identity } from '../../src/plugin.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'

export const SECRET = randomBytes(32).toString('base64url')

export function rawConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { listen: '127.0.0.1:0', publicUrl: 'https://auth.example.com' },
    cookie: { secret: SECRET },
    // An issuer nobody answers: anonymous, public and deny answers never need it.
    providers: [{ id: 'corp', type: 'oidc', issuer: 'https://127.0.0.1:9/realms/corp', clientId: 'gatehouse', clientSecret: 's' }],
    authorization: {},
    logging: { level: 'silent' },
    ...extra,
  }
}

export const configWith = (extra: Record<string, unknown> = {}): Promise<Config> => buildConfig(rawConfig(extra))

export const start = async (extra: Record<string, unknown> = {}): Promise<Gatehouse> =>
  startGatehouse(await configWith(extra), { logger: createLogger('silent') })

/** A session cookie header for this identity, minted the way the callback does. */
export function cookieFor(gatehouse: Gatehouse, identity: Partial<Identity>): string {
  const rt = gatehouse.runtime()
  const session = rt.sessions.create({
    identity: { subject: 'sub', user: 'user', groups: [], roles: [], provider: 'corp', expiresAt: 0, ...identity },
  })
  return rt.sessions.write(session, undefined).map((c) => c.split(';')[0]).join('; ')
}
