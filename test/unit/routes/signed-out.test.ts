import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createRedirectValidator } from '../../../src/request/redirect.js'
import type { Runtime } from '../../../src/runtime.js'
import { openSignOutState, sealSignOutState, signedOutUrl, signedOutWithState } from '../../../src/routes/signed-out.js'
import { checkProperty } from '../../helpers/property.js'

const publicUrl = new URL('https://auth.example.com')
const runtime = (keys = [randomBytes(32)], allowed = ['.example.com']) =>
  ({
    config: { cookie: { keys, name: '_gatehouse', csrfExpireSeconds: 900 }, server: { publicUrl } },
    validateRedirect: createRedirectValidator(allowed, publicUrl),
  }) as unknown as Runtime

const corpus = readFileSync(new URL('../../fixtures/open-redirects.txt', import.meta.url), 'utf8').replace(/\n$/, '').split('\n')
/** Decoded once, as the query parser would (test/unit/redirect.test.ts). */
function decodeOnce(line: string): string {
  try {
    return decodeURIComponent(line)
  } catch {
    return Buffer.from(line.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('latin1')
  }
}

describe('sign-out state (the rd carried through the IdP logout)', () => {
  const rt = runtime()

  it('the IdP always gets the one signed-out URL, whatever the rd', () => {
    expect(signedOutUrl(rt)).toBe('https://auth.example.com/oauth2/signed_out')
    expect(new URL(signedOutWithState(rt, 'abc')).searchParams.get('state')).toBe('abc')
    expect(signedOutWithState(rt, undefined)).toBe('https://auth.example.com/oauth2/signed_out')
  })

  it('round-trips a valid rd, and only until it expires', () => {
    const now = Date.now()
    const state = sealSignOutState(rt, 'https://app.example.com/x?y=1', now)
    expect(openSignOutState(rt, state, now)).toBe('https://app.example.com/x?y=1')
    expect(openSignOutState(rt, state, now + 899_000)).toBe('https://app.example.com/x?y=1')
    expect(openSignOutState(rt, state, now + 901_000)).toBeUndefined()
  })

  it('is validated again on arrival: an rd the allow-list no longer accepts goes nowhere', () => {
    const keys = [randomBytes(32)]
    const state = sealSignOutState(runtime(keys, ['.example.com']), 'https://app.example.com/')
    expect(openSignOutState(runtime(keys, []), state)).toBeUndefined()
  })

  it('never yields an open redirect, even for a corpus payload sealed with our own key', () => {
    const corpusRt = runtime(undefined, ['www.whitelisteddomain.tld'])
    expect(corpus).toHaveLength(559)
    for (const line of corpus) expect(openSignOutState(corpusRt, sealSignOutState(corpusRt, decodeOnce(line)))).toBeUndefined()
  })

  it('any other state (forged, altered, another key, another purpose) opens to nothing', () => {
    const other = runtime()
    const good = sealSignOutState(rt, '/a')
    checkProperty(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(), (junk, at) => {
        expect(openSignOutState(rt, junk)).toBeUndefined()
        const i = 2 + (at % (good.length - 2))
        const flipped = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1)
        // base64url's last character carries bits the decoder drops: a flip there can spell the same bytes
        const sameBytes = Buffer.from(flipped, 'base64url').equals(Buffer.from(good, 'base64url'))
        expect(openSignOutState(rt, flipped)).toBe(sameBytes ? '/a' : undefined)
        expect(openSignOutState(other, good)).toBeUndefined()
      }),
    )
  })
})
