import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { formEncode, signInUrl, type Runtime } from '../../src/runtime.js'
import { checkProperty } from '../helpers/property.js'

/** What signInUrl built before its prefix was cached: a URL object per call. */
function viaUrl(publicUrl: string, single: boolean, rd: string | undefined): string {
  const url = new URL(single ? '/oauth2/start' : '/oauth2/sign_in', publicUrl)
  if (rd) url.searchParams.set('rd', rd)
  return url.href
}

const runtime = (publicUrl: string, providers: number) =>
  ({ providers: new Map(Array.from({ length: providers }, (_, i) => [`p${i}`, {}])), config: { server: { publicUrl: new URL(publicUrl) } } }) as unknown as Runtime

// any UTF-16 (lone surrogates included), printable ASCII, and the characters the two encoders treat differently
const anyText = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: fc.constantFrom(' ', '!', "'", '(', ')', '~', '*', '+', '%', '&', '=', '\ud800') }))

describe('formEncode', () => {
  it('encodes exactly as URLSearchParams does', () => {
    checkProperty(fc.property(anyText, (s) => expect(formEncode(s)).toBe(new URLSearchParams({ v: s }).toString().slice(2))))
  })
})

describe('signInUrl', () => {
  it('is the URL the URL API builds, for one provider or several, with or without rd', () => {
    const publicUrl = fc.constantFrom('https://auth.example.com', 'https://auth.example.com/base/', 'http://127.0.0.1:4180', 'https://auth.example.com/?q=1#h')
    checkProperty(
      fc.property(publicUrl, fc.integer({ min: 1, max: 3 }), fc.option(anyText, { nil: undefined }), (base, providers, rd) => {
        const rt = runtime(base, providers)
        expect(signInUrl(rt, rd)).toBe(viaUrl(base, providers === 1, rd))
        expect(signInUrl(rt, rd)).toBe(viaUrl(base, providers === 1, rd)) // and again, from the cached prefix
      }),
    )
  })
})
