/**
 * Signs the identity assertion: a short-lived JWT an app verifies against `/.well-known/jwks.json`
 * instead of trusting a header. Claims: iss (publicUrl), aud (the app's host, as the request named
 * it), sub, email, preferred_username, groups, iat, exp. Signatures are cached per identity and
 * audience and reused until half their life has passed, so a hot allow costs two map lookups. The
 * identity object is the one a cached session or bearer token keeps (a refresh brings a new one), so
 * the cache is keyed on it (weakly: it goes with the session cache's entry, and no token or session
 * id is copied into a key); each holds a few audiences, the least recently signed dropped first.
 */
import { SignJWT } from 'jose'
import type { Identity } from '../plugin.js'
import type { Config } from '../config/load.js'
import type { KeySet } from './keys.js'
import type { HeaderList } from '../headers/mapping.js'

export interface AssertionConfig {
  header: string
  ttlSeconds: number
  keys: KeySet
}

interface Signed {
  jwt: string
  /** Epoch seconds after which a new one is signed. */
  renewAt: number
}

/** Audiences remembered per identity: one user rarely opens more apps within one assertion lifetime. */
const AUDIENCES_PER_IDENTITY = 16

export interface AssertionSigner {
  readonly header: string
  /** The assertion for `identity` at `aud`: a string when cached, else once signed. */
  assertion(identity: Identity, aud: string): string | Promise<string>
}

export function createSigner(config: AssertionConfig, issuer: string): AssertionSigner {
  const cache = new WeakMap<Identity, Map<string, Signed>>()
  const { key, kid, alg } = config.keys.signing
  const sign = async (identity: Identity, aud: string, now: number): Promise<string> => {
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
    let audiences = cache.get(identity)
    if (!audiences) cache.set(identity, (audiences = new Map()))
    audiences.delete(aud)
    if (audiences.size >= AUDIENCES_PER_IDENTITY) audiences.delete(audiences.keys().next().value!)
    audiences.set(aud, { jwt, renewAt: now + Math.floor((exp - now) / 2) })
    return jwt
  }
  return {
    header: config.header,
    assertion(identity, aud) {
      const now = Math.floor(Date.now() / 1000)
      const hit = cache.get(identity)?.get(aud)
      return hit && now < hit.renewAt ? hit.jwt : sign(identity, aud, now)
    },
  }
}

const signers = new WeakMap<AssertionConfig, AssertionSigner>()

/** The signer of a config version (undefined when the assertion is off); a reload with new keys gets a new one. */
export function signerFor(config: Config): AssertionSigner | undefined {
  const assertion = config.assertion
  if (!assertion) return undefined
  let signer = signers.get(assertion)
  if (!signer) signers.set(assertion, (signer = createSigner(assertion, config.server.publicUrl.origin)))
  return signer
}

const combined = new WeakMap<HeaderList, { jwt: string; headers: HeaderList }>()

/** `headers` plus the assertion; the last combination per (memoised) headers array is reused, not rebuilt per request. */
export function withAssertion(headers: HeaderList, name: string, jwt: string): HeaderList {
  const last = combined.get(headers)
  if (last?.jwt === jwt) return last.headers
  const out = [...headers, name, jwt]
  combined.set(headers, { jwt, headers: out })
  return out
}
