import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errors, exportJWK, generateKeyPair, type JWK } from 'jose'
import { createMetrics } from '../../../src/metrics.js'
import { createJwks } from '../../../src/tokens/jwks.js'

describe('createJwks after a key rotation', () => {
  let server: Server
  let url: string
  let served = 0
  let keys: JWK[] = []
  const newKey = async (kid: string) => ({ ...(await exportJWK((await generateKeyPair('RS256')).publicKey)), kid, alg: 'RS256', use: 'sig' })
  beforeAll(async () => {
    keys = [await newKey('k1')]
    server = createServer((_req, res) => {
      served++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const header = (kid: string) => ({ alg: 'RS256', kid })
  const token = { payload: new Uint8Array(), signature: new Uint8Array() } as never

  it('bearer lookups wait out the cooldown; login lookups refetch a new kid at once, coalesced', async () => {
    const jwks = createJwks({ provider: 'p', uri: async () => new URL(url), metrics: createMetrics({ defaultMetrics: false }), cooldownMs: 60_000, timeoutMs: 1000 })
    await jwks(header('k1'), token)
    const before = served
    keys = [await newKey('k2'), ...keys]
    // Within the cooldown, a bearer token's new kid is not fetched …
    await expect(jwks(header('k2'), token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
    expect(served).toBe(before)
    // … a login's is, once for many concurrent logins, and then the bearer path knows it too.
    await Promise.all(Array.from({ length: 20 }, () => jwks.forLogin(header('k2'), token)))
    expect(served).toBe(before + 1)
    await expect(jwks(header('k2'), token)).resolves.toBeTruthy()
    // A kid the IdP does not publish still fails after that one refetch.
    await expect(jwks.forLogin(header('nowhere'), token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
    expect(served).toBe(before + 2)
  })
})
