import { describe, expect, it } from '@jest/globals'
import { mapOptions } from '../../../src/migrate/map.js'
import type { Value } from '../../../src/migrate/options.js'

const run = (o: Record<string, Value>) => mapOptions(new Map(Object.entries(o).map(([k, value]) => [k, { value, origin: 'test.cfg' }])))
const base = { provider: 'oidc', oidc_issuer_url: 'https://id.example.com', client_id: 'c', client_secret: 's', redirect_url: 'https://auth.example.com/oauth2/callback', email_domains: ['*'] }
const line = (r: ReturnType<typeof run>, option: string) => r.ctx.lines.find((l) => l.option === option)

describe('mapUi', () => {
  it('maps plain-text banner and footer, reports HTML, "-" and too long', () => {
    const r = run({ ...base, banner: 'Contoso HR', footer: 'Ops team, ext. 1234' })
    expect(r.config.ui).toEqual({ title: 'Contoso HR', footer: 'Ops team, ext. 1234' })
    const h = run({ ...base, banner: '<b>Contoso</b>', footer: '-' })
    expect(h.config.ui).toBeUndefined()
    expect(line(h, '--banner')).toMatchObject({ status: 'unsupported', note: expect.stringMatching(/HTML/) })
    expect(line(h, '--footer')).toMatchObject({ status: 'not-needed' })
    expect(line(run({ ...base, footer: 'a &amp; b' }), '--footer')).toMatchObject({ status: 'unsupported' })
    expect(line(run({ ...base, banner: 'x'.repeat(81) }), '--banner')).toMatchObject({ status: 'unsupported', note: expect.stringMatching(/at most 80/) })
  })

  it('maps a logo file, reports a logo URL, and points custom templates at ui.*', () => {
    expect(run({ ...base, custom_sign_in_logo: '/etc/logo.svg' }).config.ui).toEqual({ logo: '/etc/logo.svg' })
    const u = run({ ...base, custom_sign_in_logo: 'https://cdn.example.com/logo.png', custom_templates_dir: '/t' })
    expect(u.config.ui).toBeUndefined()
    expect(line(u, '--custom-sign-in-logo')).toMatchObject({ status: 'unsupported', note: expect.stringMatching(/download/) })
    expect(line(u, '--custom-templates-dir')).toMatchObject({ status: 'unsupported', note: expect.stringMatching(/ui\.title/) })
    expect(line(run({ ...base, custom_sign_in_logo: '-' }), '--custom-sign-in-logo')).toMatchObject({ status: 'not-needed' })
  })

  it('names the one post-logout URI to register, on backend-logout-url or as a remark', () => {
    const b = run({ ...base, backend_logout_url: 'https://id.example.com/logout?id_token_hint={id_token}' })
    expect(line(b, '--backend-logout-url')).toMatchObject({ status: 'difference', note: expect.stringContaining('https://auth.example.com/oauth2/signed_out') })
    expect(line(run(base), 'sign-out')).toMatchObject({ origin: '-', note: expect.stringContaining('https://auth.example.com/oauth2/signed_out') })
    expect(line(run({ ...base, provider: 'github' }), 'sign-out')).toBeUndefined()
  })
})
