/**
 * What a cached session entry keeps: what a decision needs (identity, expiry, refresh-due times,
 * the ids that revocation matches), never the id_token or refresh token, and the access token only
 * when the config passes it to the app. Tokens stay in the cookie or the Redis store and are read
 * from there when needed (sign-out's id_token_hint, a refresh): 100k cached sessions stay small.
 *
 * Identities share what many of them hold alike: the group and role lists (frozen, interned by
 * content) and the provider id. A decoded cookie or token otherwise brings its own copy of each.
 */
import type { Identity } from '../plugin.js'
import type { Session } from './session.js'

/** Bounded: a flood of distinct lists stops interning (each entry keeps its own), never grows the table. */
const MAX_INTERNED = 2048
const MAX_KEY_CHARS = 1024
const lists = new Map<string, readonly string[]>()
const strings = new Map<string, string>()

function internList(list: string[]): string[] {
  if (list.length === 0) return EMPTY as string[]
  const key = JSON.stringify(list)
  if (key.length > MAX_KEY_CHARS) return list
  const hit = lists.get(key)
  if (hit) return hit as string[]
  if (lists.size >= MAX_INTERNED) return list
  const shared = Object.freeze(list.map(internString))
  lists.set(key, shared)
  return shared as string[]
}

function internString(s: string): string {
  if (s.length > MAX_KEY_CHARS) return s
  const hit = strings.get(s)
  if (hit !== undefined) return hit
  if (strings.size < MAX_INTERNED) strings.set(s, s)
  return s
}

const EMPTY: readonly string[] = Object.freeze([])

/** The same identity (equal field by field), sharing lists and common strings with other entries. */
export function slimIdentity(identity: Identity): Identity {
  return {
    ...identity,
    // Often equal (Keycloak's sub is the user): one string instead of two copies.
    user: identity.user === identity.subject ? identity.subject : identity.user,
    groups: Array.isArray(identity.groups) ? internList(identity.groups) : identity.groups,
    roles: Array.isArray(identity.roles) ? internList(identity.roles) : identity.roles,
    provider: typeof identity.provider === 'string' ? internString(identity.provider) : identity.provider,
  }
}

export function decisionSession(s: Session, keepAccessToken: boolean): Session {
  // One literal, so every entry shares one hidden class.
  return {
    id: s.id,
    identity: slimIdentity(s.identity),
    sid: s.sid,
    createdAt: s.createdAt,
    refreshedAt: s.refreshedAt,
    expiresAt: s.expiresAt,
    accessExpiresAt: s.accessExpiresAt,
    accessToken: keepAccessToken ? s.accessToken : undefined,
  }
}
