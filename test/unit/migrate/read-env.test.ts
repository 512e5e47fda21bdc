import { describe, expect, it } from '@jest/globals'
import { parseEnvFile, readEnv } from '../../../src/migrate/read-env.js'
import { asList } from '../../../src/migrate/options.js'

describe('read-env', () => {
  it('parses env files: export, quotes, comments', () => {
    expect(parseEnvFile('# c\nexport A=1\nB="x y"\nC=\'z\'\nD=v # note\nnot a line')).toEqual({ A: '1', B: 'x y', C: 'z', D: 'v' })
  })

  it('keeps only OAUTH2_PROXY_* and splits lists on commas as viper does', () => {
    const r = readEnv({ OAUTH2_PROXY_EMAIL_DOMAINS: 'a.com,b.com', PATH: '/bin', OAUTH2_PROXY_SKIP_AUTH_ROUTES: 'GET=^/a ^/b' }, 'environment')
    expect([...r.values.keys()]).toEqual(['email_domains', 'skip_auth_routes'])
    expect(asList(r.values.get('email_domains'))).toEqual(['a.com', 'b.com'])
    // Whitespace separates nothing: oauth2-proxy reads one route here (checked against the real binary).
    expect(asList(r.values.get('skip_auth_routes'))).toEqual(['GET=^/a ^/b'])
  })
})
