/** README's access-rules example must do what its comments say, under first-match-wins. */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { buildConfig } from '../../src/config/load.js'
import { explain } from '../../src/explain.js'

const readme = readFileSync('README.md', 'utf8')
const section = readme.slice(readme.indexOf('## Access rules'))
const example = parse(/```yaml\n([\s\S]*?)```/.exec(section)![1]!) as { rules: unknown[]; defaultRule: unknown }

describe('README access-rules example', () => {
  it('denies /internal on every app, including hosts that have their own rule', async () => {
    const config = await buildConfig(
      {
        server: { publicUrl: 'https://auth.example.com' },
        cookie: { secret: Buffer.alloc(32, 1).toString('base64') },
        providers: [
          { id: 'corp', type: 'keycloak', issuer: 'https://sso.example.com/realms/corp', clientId: 'c', clientSecret: 's' },
          { id: 'github', type: 'github', clientId: 'c', clientSecret: 's', orgs: ['acme'] },
        ],
        authorization: {},
        ...example,
      },
      { env: {} },
    )
    const staff = { email: 'a@example.com', groups: ['sre', 'mesh-team'], roles: ['grafana-admin'] }
    for (const host of ['grafana.example.com', 'prometheus.example.com', 'kiali.example.com', 'other.example.com']) {
      expect({ host, decision: explain(config, { url: `https://${host}/internal/x`, user: staff }).decision }).toEqual({ host, decision: 'deny' })
    }
    expect(explain(config, { url: 'https://grafana.example.com/d/1', user: staff }).decision).toBe('allow')
    expect(explain(config, { url: 'https://grafana.example.com/api/health' }).decision).toBe('allow')
  })
})
