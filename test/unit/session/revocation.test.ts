import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createRevocations } from '../../../src/session/revocation.js'
import type { Session } from '../../../src/session/session.js'
import { checkProperty } from '../../helpers/property.js'
import { identity } from '../../helpers/session.js'

const session = (id: string, sub: string, sid: string | undefined, createdAt: number): Session => ({
  id,
  sid,
  identity: identity({ subject: sub, provider: 'corp' }),
  createdAt,
  expiresAt: createdAt + 3600,
})

describe('revocation list', () => {
  const small = fc.constantFrom('a', 'b', 'c')
  it('revokes exactly the sessions an entry names: by id, by sid, by sub (created until then)', () => {
    checkProperty(
      fc.property(
        fc.record({ kind: fc.constantFrom('id' as const, 'sid' as const, 'sub' as const), provider: fc.constantFrom('corp', 'other'), value: small, at: fc.integer({ min: 100, max: 200 }) }),
        fc.record({ id: small, sub: small, sid: fc.option(small, { nil: undefined }), createdAt: fc.integer({ min: 50, max: 250 }) }),
        (entry, s) => {
          const list = createRevocations(() => 150)
          const before = list.generation()
          list.apply({ t: 'revoke', ...entry, until: 1000 })
          expect(list.generation()).toBe(before + 1)
          const target = session(s.id, s.sub, s.sid, s.createdAt)
          const expected =
            entry.provider === 'corp' &&
            (entry.kind === 'id' ? s.id === entry.value : entry.kind === 'sid' ? s.sid === entry.value : s.sub === entry.value && s.createdAt <= entry.at)
          expect(list.isRevoked(target)).toBe(expected)
        },
      ),
    )
  })

  it('forgets entries once the sessions they name have expired, and ignores expired ones', () => {
    let now = 100
    const list = createRevocations(() => now)
    list.apply({ t: 'revoke', kind: 'id', provider: 'corp', value: 'x', at: 100, until: 50 })
    expect(list.size).toBe(0)
    list.apply({ t: 'revoke', kind: 'id', provider: 'corp', value: 'x', at: 100, until: 200 })
    expect(list.isRevoked(session('x', 'u', undefined, 90))).toBe(true)
    now = 300
    list.apply({ t: 'revoke', kind: 'id', provider: 'corp', value: 'y', at: 300, until: 400 })
    expect(list.size).toBe(1)
  })
})
