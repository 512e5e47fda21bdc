import { describe, expect, it } from '@jest/globals'
import { buildConfig } from '../../../src/config/load.js'
import { ConfigError } from '../../../src/errors.js'
import fc from 'fast-check'
import { assertAsyncProperty } from '../../helpers/property.js'

const SECRET = Buffer.alloc(32, 7).toString('base64')
const valid = (): Record<string, any> => ({
  server: { listen: '127.0.0.1:4180', publicUrl: 'https://auth.example.com', trustedProxies: ['10.0.0.0/8'], workers: 1 },
  cookie: { secret: SECRET, domains: ['.example.com'], sameSite: 'lax', expire: '24h' },
  redirect: { allowedDomains: ['.example.com'] },
  providers: [
    { id: 'corp', type: 'keycloak', issuer: 'https://sso.example.com/realms/corp', clientId: 'gatehouse', clientSecret: 'x', scopes: ['openid'] },
    { id: 'gh', type: 'github', clientId: 'a', clientSecret: 'b', org: 'acme' },
  ],
  authorization: { emailDomains: ['example.com'], groups: ['sre'] },
  extraIssuers: [{ id: 'ci', issuer: 'https://ci.example.com', audiences: ['gatehouse'] }],
  cache: { maxEntries: 10, maxTtl: '1m' },
  rules: [{ hosts: ['grafana.example.com'], paths: ['/api'], allow: 'authenticated' }],
  metrics: { listen: '127.0.0.1:9090' },
  logging: { level: 'info' },
})

/** Every key path of a value, for picking one to break. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))]
  if (value && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))]
  return [at]
}

const WRONG: unknown[] = [undefined, null, 42, -1, 1.5, true, '', 'sso.example.com', 'http://x', [], [''], {}, { nope: 1 }, '${UNSET_VAR}']

/** The validator's own phrases, which must never reach an operator. */
const RAW_WORDING = /Invalid input|expected \w+, received|Too (small|big)|Invalid option|Invalid URL|Invalid email|Unrecognized key|Invalid string/

describe('config problems are in our own words, each with a key path', () => {
  it('one broken value at a time (generated mutations)', async () => {
    const candidates = paths(valid()).filter((p) => p.length > 0)
    const mutation = fc.tuple(fc.constantFrom(...candidates), fc.constantFrom(...WRONG))
    await assertAsyncProperty(
      fc.asyncProperty(mutation, async ([path, wrong]) => {
        const config = valid()
        let parent: any = config
        for (const key of path.slice(0, -1)) parent = parent[key]
        if (wrong === undefined) delete parent[path.at(-1)!]
        else parent[path.at(-1)!] = wrong
        const label = `${path.join('.')} = ${JSON.stringify(wrong)}`
        let problems: string[] = []
        try {
          await buildConfig(config, { env: {} })
        } catch (err) {
          if (!(err instanceof ConfigError)) throw new Error(`${label}: threw ${(err as Error).stack}`)
          problems = err.problems
        }
        for (const problem of problems) {
          expect({ label, problem, raw: RAW_WORDING.test(problem) }).toEqual({ label, problem, raw: false })
          // `key.path: message` (the root only for the root itself)
          expect({ label, problem, keyed: /^[A-Za-z(][\w.[\]()-]*(, [\w.[\]-]+)*: \S/.test(problem) }).toEqual({ label, problem, keyed: true })
        }
        expect({ label, distinct: new Set(problems).size }).toEqual({ label, distinct: problems.length })
      }),
      150,
    )
  })

  it.each([
    [{ cookie: undefined }, 'cookie: is required'],
    [{ providers: undefined }, 'providers: is required'],
    [{ providers: [] }, 'providers: at least one provider is required'],
    [{ server: { publicUrl: 'https://auth.example.com', workers: 'two' } }, 'server.workers: must be a number, not the string "two"'],
    [{ cookie: { secret: SECRET, sameSite: 'sometimes' } }, 'cookie.sameSite: must be one of "lax", "strict", "none"'],
    [{ server: { publicUrl: 'https://auth.example.com', workers: 1.5 } }, 'server.workers: must be a whole number, not number 1.5'],
    [{ server: { publicUrl: 'https://auth.example.com', workers: 999 } }, 'server.workers: must be at most 256'],
    [{ cache: { maxEntries: 0 } }, 'cache.maxEntries: must be at least 1'],
    [{ authorization: { groups: [''] } }, 'authorization.groups[0]: must not be empty'],
    [{ headers: { passAccessToken: 'yes' } }, 'headers.passAccessToken: must be true or false, not the string "yes"'],
  ])('%j → %s', async (change, message) => {
    let problems: string[] = []
    try {
      await buildConfig({ ...valid(), ...change }, { env: {} })
    } catch (err) {
      problems = (err as ConfigError).problems
    }
    expect(problems).toContain(message)
  })
})
