import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ephemeralKeySet, loadKeySet } from '../../../src/assertion/keys.js'

let dir: string
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const files: Record<string, string> = {
  'ec.pem': ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  'ec-public.pem': ec.publicKey.export({ format: 'pem', type: 'spki' }) as string,
  'ed.jwk': JSON.stringify({ ...ed.privateKey.export({ format: 'jwk' }), kid: 'ed-2026' }),
  'rsa.pem': generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  'p384.pem': generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  'old-public.pem': generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }) as string,
  'junk.pem': 'not a key',
  'dup.jwk': JSON.stringify({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'ed-2026' }),
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-keys-'))
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('assertion keys', () => {
  it('the first key signs (ES256 or EdDSA by its type); all are published with public members only', async () => {
    const { keys, problems } = await loadKeySet(['ed.jwk', 'ec.pem', 'old-public.pem'], dir)
    expect(problems).toEqual([])
    expect(keys!.signing.alg).toBe('EdDSA')
    expect(keys!.signing.kid).toBe('ed-2026')
    expect(keys!.published.map((k) => [k.kty, k.crv, k.alg])).toEqual([
      ['OKP', 'Ed25519', 'EdDSA'],
      ['EC', 'P-256', 'ES256'],
      ['EC', 'P-256', 'ES256'],
    ])
    expect(keys!.published[1]!.kid).not.toBe(keys!.published[2]!.kid)
    for (const jwk of keys!.published) {
      expect(Object.keys(jwk).sort()).toEqual(jwk.kty === 'EC' ? ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'] : ['alg', 'crv', 'kid', 'kty', 'use', 'x'])
      expect(JSON.stringify(jwk)).not.toContain('"d"')
    }
  })

  it('every bad key file is a problem naming its key path', async () => {
    const { keys, problems } = await loadKeySet(['ec-public.pem', 'missing.pem', 'junk.pem', 'rsa.pem', 'p384.pem'], dir)
    expect(keys).toBeUndefined()
    expect(problems).toEqual([
      'headers.assertion.keys[0]: the first key signs, so "ec-public.pem" must be a private key',
      'headers.assertion.keys[1]: cannot read "missing.pem" (ENOENT)',
      'headers.assertion.keys[2]: "junk.pem" is not a PEM or JWK key',
      'headers.assertion.keys[3]: "rsa.pem" must be an EC P-256 (ES256) or Ed25519 (EdDSA) key',
      'headers.assertion.keys[4]: "p384.pem" must be an EC P-256 (ES256) or Ed25519 (EdDSA) key',
    ])
    expect((await loadKeySet(['ed.jwk', 'dup.jwk'], dir)).problems).toEqual(['headers.assertion.keys: two keys have the same kid'])
    // one key listed twice (private and public halves share the RFC 7638 thumbprint kid)
    expect((await loadKeySet(['ec.pem', 'ec-public.pem'], dir)).problems).toEqual(['headers.assertion.keys: two keys have the same kid'])
  })

  it('the generated key is made once per process and published without its private part', () => {
    const a = ephemeralKeySet()
    expect(ephemeralKeySet()).toBe(a)
    expect(a.signing.alg).toBe('ES256')
    expect(a.signing.key.type).toBe('private')
    expect(JSON.stringify(a.published)).not.toContain('"d"')
  })
})
