import { createHash } from 'node:crypto'

export interface RealmUser {
  username: string
  password: string
  email: string
  emailVerified?: boolean
  name?: string
  groups: string[]
  realmRoles?: string[]
  clientRoles?: Record<string, string[]>
}

export const DEMO_USERS: RealmUser[] = [
  {
    username: 'alice',
    password: 'alice',
    email: 'alice@example.com',
    emailVerified: true,
    name: 'Alice Admin',
    groups: ['staff', 'sre'],
    realmRoles: ['admin'],
  },
  {
    username: 'bob',
    password: 'bob',
    email: 'bob@example.com',
    emailVerified: true,
    name: 'Bob Builder',
    groups: ['staff'],
  },
]

/** Keycloak subjects are UUIDs; derive a stable one so tests can predict `sub`. */
export function subjectFor(realm: string, username: string): string {
  const h = createHash('sha256').update(`${realm}:${username.toLowerCase()}`).digest('hex')
  const parts = [h.slice(0, 8), h.slice(8, 12), `4${h.slice(13, 16)}`, `a${h.slice(17, 20)}`]
  return [...parts, h.slice(20, 32)].join('-')
}

export class Accounts {
  private bySub = new Map<string, RealmUser>()

  constructor(
    private realm: string,
    users: RealmUser[],
  ) {
    for (const u of users) this.bySub.set(subjectFor(realm, u.username), u)
  }

  /** Subject of the user whose username or email matches and whose password is right. */
  authenticate(login: string, password: string): string | undefined {
    const l = login.trim().toLowerCase()
    for (const [sub, u] of this.bySub) {
      const named = u.username.toLowerCase() === l || u.email.toLowerCase() === l
      if (named) return u.password === password ? sub : undefined
    }
    return undefined
  }

  /** Claims as Keycloak's default client scopes and mappers shape them. */
  claims(sub: string): Record<string, unknown> | undefined {
    const u = this.bySub.get(sub)
    if (!u) return undefined
    const resourceAccess: Record<string, { roles: string[] }> = {
      account: { roles: ['manage-account', 'manage-account-links', 'view-profile'] },
    }
    for (const [client, roles] of Object.entries(u.clientRoles ?? {})) {
      resourceAccess[client] = { roles }
    }
    const [given, ...family] = (u.name ?? '').split(' ')
    const defaults = [`default-roles-${this.realm}`, 'offline_access', 'uma_authorization']
    return {
      sub,
      preferred_username: u.username.toLowerCase(),
      email: u.email,
      email_verified: u.emailVerified ?? true,
      name: u.name,
      given_name: given || undefined,
      family_name: family.join(' ') || undefined,
      groups: u.groups,
      realm_access: { roles: [...(u.realmRoles ?? []), ...defaults] },
      resource_access: resourceAccess,
    }
  }
}
