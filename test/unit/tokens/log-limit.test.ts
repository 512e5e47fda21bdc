import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createLogLimiter } from '../../../src/tokens/log-limit.js'
import { checkProperty } from '../../helpers/property.js'

describe('createLogLimiter', () => {
  it('writes at most max lines per window (2 max in any span of one interval) and accounts for every call', () => {
    const steps = fc.array(fc.oneof(fc.constant<'log'>('log'), fc.integer({ min: 1, max: 2500 })), { maxLength: 300 })
    checkProperty(
      fc.property(fc.integer({ min: 1, max: 5 }), steps, (max, events) => {
        let t = 0
        const writes: number[] = []
        let summarised = 0
        const limit = createLogLimiter({ max, intervalMs: 1000, now: () => t, summary: (n) => (summarised += n) })
        let calls = 0
        for (const e of events) {
          if (e === 'log') {
            calls++
            limit(() => writes.push(t))
          } else t += e
        }
        limit.flush()
        expect(writes.length + summarised).toBe(calls)
        // Windows are fixed, one interval long: any span of one interval overlaps at most two of them.
        for (const [i, start] of writes.entries()) {
          expect(writes.slice(i).filter((w) => w < start + 1000).length).toBeLessThanOrEqual(2 * max)
        }
        // Calls at one instant: exactly max written.
        const burst: number[] = []
        const once = createLogLimiter({ max, intervalMs: 1000, now: () => 0, summary: () => undefined })
        for (let i = 0; i < calls; i++) once(() => burst.push(i))
        expect(burst.length).toBe(Math.min(max, calls))
      }),
    )
  })

  it('writes one summary for a flood, then writes normally again', () => {
    let t = 0
    const lines: string[] = []
    const limit = createLogLimiter({ max: 3, intervalMs: 10_000, now: () => t, summary: (n) => lines.push(`summary ${n}`) })
    for (let i = 0; i < 1000; i++) limit(() => lines.push(`line ${i}`))
    expect(lines).toEqual(['line 0', 'line 1', 'line 2'])
    t += 10_000
    limit(() => lines.push('after'))
    expect(lines).toEqual(['line 0', 'line 1', 'line 2', 'summary 997', 'after'])
    limit.flush()
    expect(lines.length).toBe(5)
  })

  it('writes the summary from a timer when the flood stops', async () => {
    const lines: string[] = []
    const limit = createLogLimiter({ max: 1, intervalMs: 50, summary: (n) => lines.push(`summary ${n}`) })
    for (let i = 0; i < 10; i++) limit(() => lines.push('line'))
    await new Promise((r) => setTimeout(r, 200))
    expect(lines).toEqual(['line', 'summary 9'])
  })
})
