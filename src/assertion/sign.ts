/**
 * Signs the identity assertion: a short-lived JWT an app verifies against `/.well-known/jwks.json`
 * instead of trusting a header. Claims: iss (publicUrl), aud (the app's host, as the request named
 * it), sub, email, preferred_username, groups, iat, exp. Signatures are cached per credential and
 * audience and reused until half their life has passed, so a hot allow costs one map lookup.
 */
import { SignJWT } from 'jose'
import { LRUCache } from 'lru-cache'
import type { Identity } from '../plugin.js'
import type { Config } from '../config/load.js'
import type { KeySet } from './keys.js'

export interface AssertionConfig {
  header: string
  ttlSeconds: number
  keys: KeySet
}

interface Signed {
  jwt: string
  identity: Identity
  /** Epoch seconds after which a new one is signed. */
  renewAt: number
}

export interface AssertionSigner {
  readonly header: string
  /** The assertion for `identity` at `aud`; `credential` tells sessions apart (session cache key, bearer token). */
  assertion(credential: string, aud: string, identity: Identity): string | Promise<string>
}

export function createSigner(config: AssertionConfig, issuer: string, maxEntries: number): AssertionSigner {
  const cache = new LRUCache<string, Signed>({ max: maxEntries })
  const { key, kid, alg } = config.keys.signing
  const sign = async (cacheKey: string, aud: string, identity: Identity, now: number): Promise<string> => {
    // Never outlives the identity it vouches for.
    const exp = Math.min(now + config.ttlSeconds, identity.expiresAt)
    const claims: Record<string, unknown> = { groups: identity.groups }
    if (identity.email) claims.email = identity.email
    if (identity.preferredUsername) claims.preferred_username = identity.preferredUsername
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(aud)
      .setSubject(identity.subject)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(key)
    cache.set(cacheKey, { jwt, identity, renewAt: now + Math.floor((exp - now) / 2) })
    return jwt
  }
  return {
    header: config.header,
    assertion(credential, aud, identity) {
      const cacheKey = `${credential}\n${aud}`
      const now = Math.floor(Date.now() / 1000)
      const hit = cache.get(cacheKey)
      // A refreshed session brings a new identity object: its claims may have changed.
      if (hit && hit.identity === identity && now < hit.renewAt) return hit.jwt
      return sign(cacheKey, aud, identity, now)
    },
  }
}

const signers = new WeakMap<AssertionConfig, AssertionSigner>()

/** The signer of a config version (undefined when the assertion is off); a reload with new keys gets a new one. */
export function signerFor(config: Config): AssertionSigner | undefined {
  const assertion = config.assertion
  if (!assertion) return undefined
  let signer = signers.get(assertion)
  if (!signer) signers.set(assertion, (signer = createSigner(assertion, config.server.publicUrl.origin, config.cache.maxEntries)))
  return signer
}
