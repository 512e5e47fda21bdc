import { describe, expect, it } from '@jest/globals'
import { mapOptions } from '../../../src/migrate/map.js'
import { NOBODY_DOMAIN } from '../../../src/migrate/map-access.js'
import type { Value } from '../../../src/migrate/options.js'

const run = (o: Record<string, Value>, files: Record<string, string> = {}) =>
  mapOptions(new Map(Object.entries(o).map(([k, value]) => [k, { value, origin: 'test.cfg' }])), (p) => files[p])

const base = { provider: 'oidc', oidc_issuer_url: 'https://id.example.com', client_id: 'c', client_secret: 'topsecret', redirect_url: 'https://auth.example.com/oauth2/callback' }
const line = (r: ReturnType<typeof run>, option: string) => r.ctx.lines.find((l) => l.option === option)

describe('mapOptions', () => {
  it('writes secrets as ${ENV} references and remembers their values apart', () => {
    const r = run({ ...base, cookie_secret: 'OQINaROshtE9TcZkNAm-5Zs2Pv3xaWytBmc5W7sPX7w=', session_store_type: 'redis', redis_connection_url: 'redis://u:p%40ss@r:6379', email_domains: ['*'] })
    expect(JSON.stringify(r.config)).not.toMatch(/topsecret|OQINaR|p%40ss|p@ss/)
    expect(r.config).toMatchObject({ cookie: { secret: '${OAUTH2_PROXY_COOKIE_SECRET}' }, session: { redis: { url: 'redis://u@r:6379', password: '${OAUTH2_PROXY_REDIS_PASSWORD}' } } })
    expect(r.ctx.envRefs.find((e) => e.name === 'OAUTH2_PROXY_REDIS_PASSWORD')?.value).toBe('p@ss')
  })

  it("asks for a new cookie secret when oauth2-proxy's 16/24-byte or raw form does not give Gatehouse 32 bytes", () => {
    for (const secret of ['0123456789abcdef', '0123456789abcdef0123456789abcdef', 'MDEyMzQ1Njc4OWFiY2RlZg==']) {
      const r = run({ ...base, cookie_secret: secret, email_domains: ['*'] })
      expect((r.config.cookie as { secret: string }).secret).toBe('${GATEHOUSE_COOKIE_SECRET}')
      expect(line(r, '--cookie-secret')).toMatchObject({ status: 'difference', note: expect.stringMatching(/openssl rand -base64 32/) })
    }
  })

  it('keeps an email restriction it cannot express as one nobody satisfies, never as none', () => {
    const r = run({ ...base, email_domains: ['.example.com'] })
    expect(r.config.authorization).toEqual({ emailDomains: [NOBODY_DOMAIN] })
    const unreadable = run({ ...base, authenticated_emails_file: '/missing' })
    expect(unreadable.config.authorization).toEqual({ emailDomains: [NOBODY_DOMAIN] })
    const read = run({ ...base, authenticated_emails_file: 'e.txt' }, { 'e.txt': '# x\nA@x.com,extra\nb@y.com\n' })
    expect(read.config.authorization).toEqual({ emails: ['a@x.com', 'b@y.com'] })
  })

  it('ORs allowed groups and roles for keycloak-oidc, as oauth2-proxy does', () => {
    const r = run({ ...base, provider: 'keycloak-oidc', oidc_issuer_url: 'https://kc/realms/r', allowed_groups: ['/a'], allowed_roles: ['editor'], email_domains: ['*'] })
    expect(r.config.providers).toMatchObject([{ type: 'keycloak' }])
    expect(r.config.defaultRule).toEqual({ require: { any: [{ groups: ['/a'] }, { roles: ['editor'] }] } })
  })

  it('maps github org and teams, and turns bearer tokens off unless skip-jwt-bearer-tokens', () => {
    const gh = run({ ...base, provider: 'github', github_org: 'acme', github_team: 'a,b', email_domains: ['*'] })
    expect(gh.config.providers).toMatchObject([{ type: 'github', teams: ['acme/a', 'acme/b'] }])
    expect(run({ ...base, email_domains: ['*'] }).config.providers).toMatchObject([{ bearer: { enabled: false } }])
    expect(run({ ...base, email_domains: ['*'], skip_jwt_bearer_tokens: true, oidc_extra_audiences: ['api'] }).config.providers).toMatchObject([
      { bearer: { enabled: true, audiences: ['c', 'api'], acceptAzp: false } },
    ])
  })

  it('reports an unknown option as not supported, with a reason', () => {
    const r = run({ ...base, email_domains: ['*'], made_up_option: 'x', htpasswd_file: '/h' })
    expect(line(r, '--made-up-option')).toMatchObject({ status: 'unsupported', note: expect.stringMatching(/not translated/) })
    expect(line(r, '--htpasswd-file')).toMatchObject({ status: 'unsupported', note: expect.stringMatching(/IdP/) })
  })
})
