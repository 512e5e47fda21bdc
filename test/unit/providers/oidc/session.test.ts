import { describe, expect, it } from '@jest/globals'
import type { TokenEndpointResponse } from 'openid-client'
import { tokenLifetimes } from '../../../../providers/oidc/session.js'

const now = () => Math.floor(Date.now() / 1000)
const tokens = (extra: Record<string, unknown>) => ({ access_token: 'a', token_type: 'bearer', ...extra }) as unknown as TokenEndpointResponse

describe('OIDC token lifetimes kept in the session', () => {
  it("reads expires_in, Keycloak's refresh_expires_in and the ID token's sid", () => {
    const t = now()
    const l = tokenLifetimes(tokens({ expires_in: 300, refresh_expires_in: 1800 }), { sid: 'kc-session' })
    expect(l.accessExpiresAt! - t).toBeGreaterThanOrEqual(300)
    expect(l.accessExpiresAt! - t).toBeLessThanOrEqual(301)
    expect(l.refreshExpiresAt! - t).toBeGreaterThanOrEqual(1800)
    expect(l.refreshExpiresAt! - t).toBeLessThanOrEqual(1801)
    expect(l.sid).toBe('kc-session')
  })

  it.each([
    ['absent', {}],
    ['0 (an offline token: no limit)', { refresh_expires_in: 0 }],
    ['not a number', { refresh_expires_in: 'soon' }],
    ['negative', { refresh_expires_in: -5 }],
  ])('puts no cap when refresh_expires_in is %s', (_what, extra) => {
    expect(tokenLifetimes(tokens(extra), undefined)).toEqual({ accessExpiresAt: undefined, refreshExpiresAt: undefined, sid: undefined })
  })

  it('ignores a sid that is not a string', () => {
    expect(tokenLifetimes(tokens({}), { sid: 42 }).sid).toBeUndefined()
  })
})
