/**
 * What a cached session entry keeps: what a decision needs (identity, expiry, refresh-due times,
 * the ids that revocation matches), never the id_token or refresh token, and the access token only
 * when the config passes it to the app. Tokens stay in the cookie or the Redis store and are read
 * from there when needed (sign-out's id_token_hint, a refresh): 100k cached sessions stay small.
 */
import type { Session } from './session.js'

export function decisionSession(s: Session, keepAccessToken: boolean): Session {
  // One literal, so every entry shares one hidden class.
  return {
    id: s.id,
    identity: s.identity,
    sid: s.sid,
    createdAt: s.createdAt,
    refreshedAt: s.refreshedAt,
    expiresAt: s.expiresAt,
    accessExpiresAt: s.accessExpiresAt,
    accessToken: keepAccessToken ? s.accessToken : undefined,
  }
}
