import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createLockTable } from '../../../src/session/cluster-lock.js'
import { checkProperty } from '../../helpers/property.js'

type Op =
  | { op: 'lock'; name: string; holder: number; ms: number }
  | { op: 'unlock'; name: string; holder: number }
  | { op: 'drop'; holder: number }
  | { op: 'wait'; ms: number }

const name = fc.constantFrom('refresh:a', 'refresh:b')
const holder = fc.integer({ min: 1, max: 3 })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('lock' as const), name, holder, ms: fc.integer({ min: -5, max: 100 }) }),
  fc.record({ op: fc.constant('unlock' as const), name, holder }),
  fc.record({ op: fc.constant('drop' as const), holder }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }),
)

describe('cluster primary lock table', () => {
  it('grants a name to one holder at a time, and always when no other holder keeps it', () => {
    checkProperty(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const table = createLockTable()
        // What the answers so far imply: the live grant of each name.
        const grants = new Map<string, { holder: number; until: number }>()
        let now = 1_000
        for (const o of ops) {
          if (o.op === 'wait') now += o.ms
          else if (o.op === 'drop') {
            table.drop(o.holder)
            for (const [n, g] of grants) if (g.holder === o.holder) grants.delete(n)
          } else if (o.op === 'unlock') {
            table.unlock(o.name, o.holder)
            if (grants.get(o.name)?.holder === o.holder) grants.delete(o.name)
          } else {
            const g = grants.get(o.name)
            const othersHold = g !== undefined && g.until > now && g.holder !== o.holder
            expect(table.lock(o.name, o.holder, o.ms, now)).toBe(!othersHold)
            if (!othersHold) grants.set(o.name, { holder: o.holder, until: now + Math.max(o.ms, 0) })
          }
        }
      }),
    )
  })

  it('a late unlock by a former holder does not free the lock of the next one', () => {
    const table = createLockTable()
    expect(table.lock('refresh:a', 1, 10, 0)).toBe(true)
    expect(table.lock('refresh:a', 2, 10, 20)).toBe(true)
    table.unlock('refresh:a', 1)
    expect(table.lock('refresh:a', 3, 10, 21)).toBe(false)
  })
})
