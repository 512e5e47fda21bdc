import type { Identity } from '../../src/plugin.js'
import type { Runtime } from '../../src/runtime.js'
import type { Session } from '../../src/session/session.js'

export const identity = (over: Partial<Identity> = {}): Identity => ({
  subject: 'u-1',
  user: 'u-1',
  email: 'alice@example.com',
  preferredUsername: 'alice',
  groups: ['staff', 'sre'],
  roles: ['admin'],
  provider: 'corp',
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
  ...over,
})

/** A Cookie header carrying a freshly sealed session (chunked if large). */
export function sessionCookie(rt: Runtime, over: Partial<Identity> = {}, patch: Partial<Session> = {}): string {
  const session = { ...rt.sessions.create({ identity: identity(over), idToken: 'id.token.hint' }), ...patch }
  return rt.sessions
    .write(session, undefined)
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ')
}
