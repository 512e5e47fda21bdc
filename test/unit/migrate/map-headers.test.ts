import { describe, expect, it } from '@jest/globals'
import { mapOptions } from '../../../src/migrate/map.js'
import type { Value } from '../../../src/migrate/options.js'

const run = (o: Record<string, Value>) => mapOptions(new Map(Object.entries(o).map(([k, value]) => [k, { value, origin: 'test.cfg' }])))
const base = { provider: 'oidc', oidc_issuer_url: 'https://id.example.com', client_id: 'c', client_secret: 's', redirect_url: 'https://auth.example.com/oauth2/callback', email_domains: ['*'] }
const up = { ...base, upstreams: ['http://app:8080'] }
const line = (r: ReturnType<typeof run>, option: string) => r.ctx.lines.find((l) => l.option === option)
const alpha = (name: string, claimSource?: Record<string, unknown>) => JSON.stringify({ name, values: claimSource ? [{ claimSource }] : [{ secretSource: { value: 'eA==' } }] })

describe('mapHeaders', () => {
  it("sends X-Forwarded-* in upstream mode, oauth2-proxy's pass_user_headers default, and says so", () => {
    const r = run(up)
    expect(r.config.headers).toEqual({ presets: ['forwarded'] })
    expect(line(r, '--pass-user-headers')).toMatchObject({ origin: '-', status: 'mapped', note: expect.stringMatching(/default \(true\)/) })
    expect(run({ ...up, pass_user_headers: false }).config.headers).toEqual({ presets: [] })
  })

  it('maps pass-access-token to the header name of the mode', () => {
    expect(run({ ...up, pass_access_token: true }).config.headers).toEqual({ presets: ['forwarded'], passAccessToken: true })
    expect(run({ ...up, pass_access_token: true, pass_user_headers: false }).config.headers).toEqual({ presets: [], custom: [{ name: 'X-Forwarded-Access-Token', field: 'access_token' }] })
    expect(run({ ...base, pass_access_token: true, set_xauthrequest: true }).config.headers).toEqual({ passAccessToken: true })
    const noX = run({ ...base, pass_access_token: true })
    expect(noX.config.headers).toBeUndefined()
    expect(line(noX, '--pass-access-token')).toMatchObject({ status: 'not-needed', note: expect.stringMatching(/set-xauthrequest/) })
  })

  it('maps set-xauthrequest to the xauthrequest preset in forward-auth mode, and reports it as a response header in upstream mode', () => {
    const fa = run({ ...base, set_xauthrequest: true })
    expect(fa.config.headers).toBeUndefined()
    expect(line(fa, '--set-xauthrequest')).toMatchObject({ status: 'mapped', target: 'headers.presets' })
    expect(line(run(base), '--set-xauthrequest')).toMatchObject({ origin: '-', status: 'difference' })
    expect(line(run({ ...up, set_xauthrequest: true }), '--set-xauthrequest')).toMatchObject({ status: 'not-needed', note: expect.stringMatching(/responses to the browser/) })
  })

  it('puts the email in X-Forwarded-User and drops X-Forwarded-Email with prefer-email-to-user', () => {
    const r = run({ ...up, prefer_email_to_user: true, pass_access_token: true })
    expect(r.config.headers).toEqual({
      presets: [],
      custom: [
        { name: 'X-Forwarded-User', field: 'email' },
        { name: 'X-Forwarded-Groups', field: 'groups' },
        { name: 'X-Forwarded-Preferred-Username', field: 'preferred_username' },
        { name: 'X-Forwarded-Access-Token', field: 'access_token' },
      ],
    })
    expect(line(r, '--prefer-email-to-user')).toMatchObject({ status: 'mapped', target: 'headers.custom' })
    expect(line(run({ ...base, prefer_email_to_user: true }), '--prefer-email-to-user')).toMatchObject({ status: 'not-needed' })
  })

  it('maps pass-authorization-header with the token difference', () => {
    const r = run({ ...up, pass_authorization_header: true })
    expect(r.config.headers).toMatchObject({ passAuthorization: true })
    expect(line(r, '--pass-authorization-header')).toMatchObject({ status: 'difference', note: expect.stringMatching(/ID token/) })
  })

  it('turns alpha injected claims into headers.custom and reports what it cannot express', () => {
    const r = run({
      ...up,
      alpha_inject_request_headers: [
        alpha('X-WEBAUTH-USER', { claim: 'preferred_username' }),
        alpha('X-Sub', { claim: 'sub' }),
        alpha('Authorization', { claim: 'access_token', prefix: 'Bearer ' }),
        alpha('X-Id', { claim: 'id_token' }),
        alpha('X-Basic', { claim: 'user', basicAuthPassword: { value: 'eA==' } }),
        alpha('X-Static'),
      ],
      alpha_inject_response_headers: [alpha('X-Auth-Request-User', { claim: 'user' })],
    })
    expect(r.config.headers).toEqual({ presets: [], passAuthorization: true, custom: [{ name: 'X-WEBAUTH-USER', field: 'preferred_username' }, { name: 'X-Sub', field: 'subject' }] })
    const l = line(r, '--alpha-inject-request-headers')
    expect(l).toMatchObject({ status: 'difference' })
    for (const name of ['X-Id: claim "id_token"', 'X-Basic: Basic', 'X-Static: only one claim']) expect(l?.note).toContain(name)
    expect(line(r, '--alpha-inject-response-headers')).toMatchObject({ status: 'not-needed' })
    const fa = run({ ...base, alpha_inject_response_headers: [alpha('X-User', { claim: 'email' })] })
    expect(fa.config.headers).toEqual({ presets: [], custom: [{ name: 'X-User', field: 'email' }] })
    expect(line(fa, '--alpha-inject-response-headers')).toMatchObject({ status: 'mapped' })
  })
})
