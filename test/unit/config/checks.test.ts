import { describe, expect, it } from '@jest/globals'
import { buildConfig } from '../../../src/config/load.js'
import { ConfigError } from '../../../src/errors.js'
import { createRedirectValidator } from '../../../src/request/redirect.js'
import fc from 'fast-check'
import { assertAsyncProperty } from '../../helpers/property.js'

const SECRET = Buffer.alloc(32, 7).toString('base64')
const base = (extra: Record<string, unknown>) => ({
  server: { listen: '127.0.0.1:4180', publicUrl: 'https://auth.example.com' },
  cookie: { secret: SECRET },
  providers: [{ id: 'corp', type: 'keycloak', issuer: 'https://sso.example.com/realms/corp', clientId: 'g', clientSecret: 'x' }],
  authorization: {},
  ...extra,
})

async function problems(input: unknown): Promise<string[]> {
  try {
    await buildConfig(input, { env: {} })
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('redirect.allowedDomains', () => {
  const SCHEMES = ['http', 'https', 'HTTPS', 'wss', 'ftp']
  const HOSTS = ['app.example.com', '.example.com', 'grafana.example.com:8443', 'localhost:*', 'a-b.example.org']

  it('a rule with a scheme or a path is refused; the same host bare is accepted and matches (generated rules)', async () => {
    const publicUrl = new URL('https://auth.example.com')
    const rules = fc.tuple(fc.constantFrom(...HOSTS), fc.constantFrom(...SCHEMES), fc.constantFrom('', '/', '/app', '/a/b?x=1'))
    await assertAsyncProperty(
      fc.asyncProperty(rules, async ([host, scheme, path]) => {
        const rule = `${scheme}://${host}${path}`
        const list = await problems(base({ redirect: { allowedDomains: [rule] } }))
        expect({ rule, list }).toEqual({ rule, list: [expect.stringMatching(/^redirect\.allowedDomains\[0\]: ".*" has a scheme: write the host only/)] })
        expect(await problems(base({ redirect: { allowedDomains: [host] } }))).toEqual([])
        // The bare form is one the validator matches: the refused one never did.
        const target = `https://${host.replace(/^\./, 'x.').replace(/:\*$/, ':8080')}/`
        expect({ rule, allowed: createRedirectValidator([host], publicUrl)(target) }).toEqual({ rule, allowed: target })
        expect({ rule, allowed: createRedirectValidator([rule], publicUrl)(target) }).toEqual({ rule, allowed: undefined })
      }),
      40,
    )
  })

  it.each(['example.com/app', 'exa mple.com', 'example.com:99999', 'example.com:'])('%s is refused with its key path', async (rule) => {
    expect(await problems(base({ redirect: { allowedDomains: ['ok.example.com', rule] } }))).toEqual([
      expect.stringMatching(/^redirect\.allowedDomains\[1\]: /),
    ])
  })
})

describe('listeners', () => {
  it('refuses a port out of range and metrics on the main port', async () => {
    expect(await problems(base({ server: { listen: '127.0.0.1:70000', publicUrl: 'https://auth.example.com' } }))).toEqual([
      'server.listen: port 70000 is out of range (0-65535)',
    ])
    expect(await problems(base({ metrics: { listen: '0.0.0.0:4180' } }))).toEqual([
      expect.stringMatching(/^metrics\.listen: "0\.0\.0\.0:4180" uses the same port as server\.listen/),
    ])
    expect(await problems(base({ metrics: { listen: '127.0.0.2:4180' } }))).toEqual([])
    expect(await problems(base({ metrics: { listen: '127.0.0.1:9180' } }))).toEqual([])
  })
})
