import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { fromTrustedOrigin } from '../../../src/http/fetch-context.js'
import { createRedirectValidator } from '../../../src/request/redirect.js'
import { checkProperty } from '../../helpers/property.js'

const publicUrl = new URL('https://auth.example.com')
const validate = createRedirectValidator(['.example.com'], publicUrl)

// Origins by how far they should be trusted.
const OWN = ['https://auth.example.com']
const ALLOWED = ['https://app.example.com', 'https://example.com']
const FOREIGN = ['https://evil.test', 'https://example.com.evil.test', 'null', 'not a url', 'https://app.example.com/path', 'javascript:alert(1)']

const site = fc.constantFrom(undefined, 'same-origin', 'none', 'same-site', 'cross-site', 'garbage')
const origin = fc.constantFrom(undefined, ...OWN, ...ALLOWED, ...FOREIGN)
const referer = fc.constantFrom(undefined, 'https://auth.example.com/x?y', 'https://app.example.com/page', 'https://evil.test/a', 'garbage', '')

/** The documented rule, written independently of the implementation. */
function expected(s: string | undefined, o: string | undefined, r: string | undefined): boolean {
  if (s === 'same-origin' || s === 'none') return true
  if (s === 'cross-site') return false
  const from = o ?? (r ? (/^https:\/\/[a-z.]+\//.exec(r)?.[0].slice(0, -1) ?? 'bad') : undefined)
  return from !== undefined && (OWN.includes(from) || ALLOWED.includes(from))
}

describe('fromTrustedOrigin', () => {
  it('trusts exactly same-origin or user-initiated fetches, or an own or allowed Origin/Referer short of cross-site', () => {
    checkProperty(
      fc.property(site, origin, referer, (s, o, r) => {
        const headers: Record<string, string> = {}
        if (s !== undefined) headers['sec-fetch-site'] = s
        if (o !== undefined) headers.origin = o
        if (r !== undefined) headers.referer = r
        expect(fromTrustedOrigin(headers, publicUrl, validate)).toBe(expected(s, o, r))
      }),
      1000,
    )
  })

  it('never trusts a cross-site fetch, whatever it claims otherwise', () => {
    expect(fromTrustedOrigin({ 'sec-fetch-site': 'cross-site', origin: OWN[0], referer: OWN[0] + '/' }, publicUrl, validate)).toBe(false)
  })

  it('does not trust a request without any signal (an <img> with no-referrer on an old browser)', () => {
    expect(fromTrustedOrigin({}, publicUrl, validate)).toBe(false)
  })
})
