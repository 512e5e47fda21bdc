import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { configWith } from './rules-helpers.js'

describe('logging.accessLog through a running Gatehouse', () => {
  const lines: Record<string, unknown>[] = []
  let gh: Gatehouse
  beforeAll(async () => {
    const logger = createLogger('info', { destination: { write: (l: string) => lines.push(JSON.parse(l)) } })
    gh = await startGatehouse(await configWith({ logging: { level: 'info', accessLog: true }, rules: [{ hosts: ['deny.example.com'], deny: true }] }), { logger })
  })
  afterAll(() => gh.close())

  it('one line per decision, with level names; nothing of the credentials', async () => {
    lines.length = 0
    const headers = { 'x-original-url': 'https://app.example.com/', 'x-request-id': 'req-1' }
    expect((await fetch(`${gh.url}/oauth2/auth`, { headers })).status).toBe(401)
    expect((await fetch(`${gh.url}/oauth2/auth`, { headers: { ...headers, authorization: 'Bearer not-a-jwt' } })).status).toBe(401)
    expect((await fetch(`${gh.url}/oauth2/auth`, { headers: { ...headers, 'x-original-url': 'https://deny.example.com/' } })).status).toBe(403)
    const access = lines.filter((l) => l.log === 'access')
    expect(access).toEqual([
      expect.objectContaining({ level: 'info', msg: 'decision', endpoint: 'auth', result: 'unauthenticated', method: 'none' }),
      expect.objectContaining({ endpoint: 'auth', result: 'invalid_token', method: 'bearer' }),
      expect.objectContaining({ endpoint: 'auth', result: 'forbidden' }),
    ])
    for (const line of access) expect(typeof line.latencyMs).toBe('number')
    expect(JSON.stringify(lines)).not.toContain('not-a-jwt')
  })
})
