import { describe, expect, it } from '@jest/globals'
import { readAlpha } from '../../../src/migrate/read-alpha.js'

describe('readAlpha', () => {
  it('flattens the first provider, upstreams, listen address and injected headers', () => {
    const r = readAlpha(
      `server: {bindAddress: "0.0.0.0:4180"}
upstreamConfig: {upstreams: [{id: a, path: /, uri: "http://a"}, {id: b, path: /b/, uri: "http://b"}]}
injectRequestHeaders: [{name: X-Forwarded-User}]
providers:
  - id: kc
    provider: keycloak-oidc
    clientID: c
    clientSecret: s
    allowedGroups: [g]
    oidcConfig: {issuerURL: "https://kc/realms/r", groupsClaim: grp}
  - id: second
    provider: google
`,
      'alpha.yaml',
    )
    expect(Object.fromEntries(r.values)).toEqual({
      http_address: '0.0.0.0:4180',
      upstreams: ['http://a', 'http://b#path=/b/'],
      alpha_inject_request_headers: ['{"name":"X-Forwarded-User","values":[]}'],
      provider: 'keycloak-oidc',
      client_id: 'c',
      client_secret: 's',
      allowed_groups: ['g'],
      oidc_issuer_url: 'https://kc/realms/r',
      oidc_groups_claim: 'grp',
    })
    expect(r.providerId).toBe('kc')
    expect(r.problems).toEqual(['alpha.yaml: 2 providers; only the first is migrated (add the others to providers: by hand)'])
  })
})
