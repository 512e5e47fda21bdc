/**
 * Authenticated encryption for cookie values: AES-256-GCM, random 96-bit IV, the cookie's
 * purpose as associated data (a state cookie can't be replayed as a session). The first key
 * seals; every key opens, so a secret can be rotated via `cookie.previousSecrets`.
 * Format: `1.` + base64url(iv ‖ ciphertext ‖ tag).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const IV = 12
const TAG = 16

export interface Sealer {
  seal(value: unknown): string
  /** Returns undefined for anything that is not a value this sealer (or a previous key) made. */
  open<T>(sealed: string): T | undefined
}

export function createSealer(keys: readonly Buffer[], purpose: string): Sealer {
  if (keys.length === 0) throw new Error('createSealer needs at least one key')
  const aad = Buffer.from(purpose)
  return {
    seal(value) {
      const iv = randomBytes(IV)
      const cipher = createCipheriv('aes-256-gcm', keys[0]!, iv)
      cipher.setAAD(aad)
      // Stryker disable next-line StringLiteral: utf8 is also what update() uses for a string without an encoding
      const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
      return '1.' + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
    },
    open<T>(sealed: string): T | undefined {
      if (!sealed.startsWith('1.') || sealed.length > 16384) return undefined
      const raw = Buffer.from(sealed.slice(2), 'base64url')
      // Stryker disable next-line ConditionalExpression,ArithmeticOperator: a shorter value fails setAuthTag or JSON.parse below (also undefined); this only skips the work
      if (raw.length < IV + TAG + 2) return undefined
      const iv = raw.subarray(0, IV)
      const body = raw.subarray(IV, raw.length - TAG)
      const tag = raw.subarray(raw.length - TAG)
      for (const key of keys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, iv)
          decipher.setAAD(aad)
          decipher.setAuthTag(tag)
          const text = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
          return JSON.parse(text) as T
        } catch {
          // wrong key or tampered: try the next key
        }
      }
      return undefined
    },
  }
}
