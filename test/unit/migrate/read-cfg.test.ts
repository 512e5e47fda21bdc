import { describe, expect, it } from '@jest/globals'
import { readCfg } from '../../../src/migrate/read-cfg.js'

describe('readCfg', () => {
  it('reads TOML strings, booleans and arrays under canonical keys', () => {
    const r = readCfg('email_domains = ["a.com"]\ncookie_secure = false\ngoogle_group = "g@x.com" # old spelling\nupstreams = "http://a"', 'x.cfg')
    expect(Object.fromEntries(r.values)).toEqual({ email_domains: ['a.com'], cookie_secure: false, google_groups: 'g@x.com', upstreams: 'http://a' })
  })

  it('reports a syntax error with the file name instead of throwing', () => {
    const r = readCfg('email_domains = [', 'bad.cfg')
    expect(r.values.size).toBe(0)
    expect(r.problems[0]).toMatch(/^bad\.cfg: not a valid TOML file/)
  })

  it('ignores tables, which are no oauth2-proxy option', () => {
    const r = readCfg('[section]\nx = 1', 'x.cfg')
    expect(r.problems).toEqual(['x.cfg: section: a table or mixed list is not an oauth2-proxy option; ignored'])
  })
})
