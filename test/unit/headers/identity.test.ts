import { describe, expect, it } from '@jest/globals'
import { IDENTITY_HEADERS, identityHeaderValues } from '../../../src/headers/identity.js'
import type { Identity } from '../../../src/plugin.js'

const alice: Identity = {
  subject: 'f3b1',
  user: 'f3b1',
  email: 'alice@example.com',
  preferredUsername: 'alice',
  groups: ['staff', 'sre/oncall'],
  roles: ['admin', 'gatehouse:operator', 'odd,role'],
  provider: 'corp',
  expiresAt: 2_000_000_000,
}

describe('identityHeaderValues', () => {
  it('always lists every identity header, in IDENTITY_HEADERS order', () => {
    for (const withRoles of [false, true]) {
      expect(identityHeaderValues(alice, withRoles).map(([name]) => name)).toEqual([...IDENTITY_HEADERS])
    }
  })

  it('leaves X-Auth-Request-Roles empty unless headers.roles opts in', () => {
    expect(new Map(identityHeaderValues(alice)).get('X-Auth-Request-Roles')).toBe('')
    expect(new Map(identityHeaderValues(alice, false)).get('X-Auth-Request-Roles')).toBe('')
  })

  it('joins realm and client roles with commas and drops a role that holds one', () => {
    expect(new Map(identityHeaderValues(alice, true)).get('X-Auth-Request-Roles')).toBe('admin,gatehouse:operator')
    expect(new Map(identityHeaderValues({ ...alice, roles: [] }, true)).get('X-Auth-Request-Roles')).toBe('')
  })
})
