import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { hashCredential } from '../../../src/tokens/cache.js'
import { assertProperty } from '../../helpers/property.js'

describe('hashCredential', () => {
  it('is the base64url SHA-256 of the credential (cache keys stay as they were), for any string', () => {
    assertProperty(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (s) => {
        expect(hashCredential(s)).toBe(createHash('sha256').update(s).digest('base64url'))
      }),
    )
  })
})
