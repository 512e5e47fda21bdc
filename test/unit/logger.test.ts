import { describe, expect, it } from '@jest/globals'
import { createLogger } from '../../src/logger.js'
import { formatPretty } from '../../src/log-pretty.js'
import fc from 'fast-check'
import { assertProperty } from '../helpers/property.js'

const capture = () => {
  const lines: string[] = []
  return { lines, destination: { write: (l: string) => lines.push(l) } }
}

describe('logger', () => {
  it('json: level names, not numbers, and the service name', () => {
    const { lines, destination } = capture()
    const logger = createLogger('debug', { destination })
    logger.info({ a: 1 }, 'hello')
    logger.error('bad')
    logger.debug('details')
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['info', 'error', 'debug'])
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'gatehouse', msg: 'hello', a: 1 })
  })

  it('pretty: one line, time, upper-case level, message and key=value fields', () => {
    const { lines, destination } = capture()
    createLogger('info', { format: 'pretty', destination }).warn({ file: '/etc/gatehouse.yaml', settings: ['cache'] }, 'restart needed')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z WARN  restart needed file=\/etc\/gatehouse\.yaml settings=\["cache"\]\n$/)
  })

  it('redacts secrets in both formats', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { lines, destination } = capture()
      createLogger('info', { format, destination }).info({ headers: { cookie: '_gatehouse=s3cret', authorization: 'Bearer t0ken' } }, 'x')
      expect(lines.join('')).not.toMatch(/s3cret|t0ken/)
      expect(lines.join('')).toContain('[redacted]')
    }
  })

  it('pretty: no field value can start a new line or forge a key (generated values)', () => {
    const ALPHABET = ['a', ' ', '\n', '\r', '=', '"', '\\', 'é', '\u2028', 'level=', 'x']
    assertProperty(fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 11 }).map((a) => a.join('')), (v) => {
      const line = formatPretty(JSON.stringify({ level: 'info', time: 0, msg: v, requestId: v }))
      expect({ v, lines: line.split('\n').length }).toEqual({ v, lines: 2 })
      // Read the fields back: exactly one key, whose value decodes to the original.
      const fields = formatPretty(JSON.stringify({ level: 'info', time: 0, msg: 'm', requestId: v })).replace(/^\S+ INFO  m /, '').trimEnd()
      const read = [...fields.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]+)(?: |$)/gy)].map(([, k, raw]) => [k, raw!.startsWith('"') ? JSON.parse(raw!) : raw])
      expect({ v, read }).toEqual({ v, read: [['requestId', v]] })
    }), 300)
  })
})
