import { describe, expect, it } from '@jest/globals'
import { readFlags, splitCommand } from '../../../src/migrate/read-flags.js'

describe('readFlags', () => {
  it('reads --flag=value, --flag value, -flag, bare booleans and repeated list flags', () => {
    const r = readFlags(['--provider=oidc', '--client-id', 'app', '-email-domain', 'a.com', '--email-domain=b.com,c.com', '--reverse-proxy', '--cookie-secure', 'false', '--skip-jwt-bearer-tokens=true'], 'flags')
    expect(Object.fromEntries(r.values)).toEqual({
      provider: 'oidc',
      client_id: 'app',
      email_domains: ['a.com', 'b.com', 'c.com'],
      reverse_proxy: 'true',
      cookie_secure: 'false',
      skip_jwt_bearer_tokens: 'true',
    })
    expect(r.problems).toEqual([])
  })

  it('keeps --config and --alpha-config apart and reports a flag without value', () => {
    const r = readFlags(['--config', '/etc/o2p.cfg', '--alpha-config=/a.yaml', '--client-id'], 'flags')
    expect(r.config).toBe('/etc/o2p.cfg')
    expect(r.alphaConfig).toBe('/a.yaml')
    expect(r.problems).toEqual(['flags: --client-id has no value; ignored'])
  })

  it('maps the plural config keys of singular flags', () => {
    const r = readFlags(['--upstream=http://a', '--skip-auth-route=GET=^/x', '--allowed-group=g', '--allowed-role=r', '--whitelist-domain=.x.com', '--cookie-domain=.x.com', '--google-group=g@x.com'], 'f')
    expect([...r.values.keys()]).toEqual(['upstreams', 'skip_auth_routes', 'allowed_groups', 'allowed_roles', 'whitelist_domains', 'cookie_domains', 'google_groups'])
  })
})

describe('splitCommand', () => {
  it('splits a compose command string with quotes', () => {
    expect(splitCommand(`--config /x.cfg --upstream="http://a b" --scope='openid email'`)).toEqual(['--config', '/x.cfg', '--upstream=http://a b', '--scope=openid email'])
  })
})
