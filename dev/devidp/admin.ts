// Admin-style session control for the dev realm, as Keycloak's admin console does it: end a
// user's sessions (their refresh tokens stop working) and tell clients through back-channel logout.
import { randomUUID } from 'node:crypto'
import { importJWK, SignJWT, type JWK } from 'jose'
import type { RealmClient } from './config.js'
import type { OidcProvider } from './provider.js'

interface CodeLike {
  accountId?: string
  grantId?: string
  sid?: string
  clientId?: string
}

export interface RealmAdmin {
  /** Refresh-token grants answered so far. */
  refreshes(): number
  /** The IdP session ids (`sid`) a user has signed in with. */
  sessionsOf(sub: string): string[]
  /** Ends every session of a user: their grants are destroyed, so refresh tokens are refused. */
  endSessions(sub: string): Promise<void>
  /** Sends a signed back-channel logout token for each of the user's sessions (or `sub` only) to each client that has a receiver. */
  backchannelLogout(sub: string, opts?: { bySubOnly?: boolean }): Promise<number[]>
  /** Listens on a (re)built provider. */
  watch(provider: OidcProvider): void
}

export function createRealmAdmin(issuer: string, clients: RealmClient[], provider: () => OidcProvider, signingKey: () => JWK): RealmAdmin {
  const grants = new Map<string, Set<string>>()
  const sids = new Map<string, Set<string>>()
  let refreshes = 0
  const add = (m: Map<string, Set<string>>, k: string, v: string) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(v)

  return {
    refreshes: () => refreshes,
    sessionsOf: (sub) => [...(sids.get(sub) ?? [])],
    watch(p) {
      p.on('authorization_code.saved', (code: unknown) => {
        const c = code as CodeLike
        if (!c.accountId) return
        if (c.grantId) add(grants, c.accountId, c.grantId)
        if (c.sid) add(sids, c.accountId, c.sid)
      })
      p.on('grant.success', (ctx: unknown) => {
        if ((ctx as { oidc?: { params?: { grant_type?: string } } }).oidc?.params?.grant_type === 'refresh_token') refreshes++
      })
    },
    async endSessions(sub) {
      for (const id of grants.get(sub) ?? []) {
        const grant = (await provider().Grant.find(id)) as { destroy?: () => Promise<void> } | undefined
        await grant?.destroy?.()
      }
      grants.delete(sub)
    },
    async backchannelLogout(sub, opts = {}) {
      const jwk = signingKey()
      const key = await importJWK(jwk, 'RS256')
      const statuses: number[] = []
      const sessions = opts.bySubOnly ? [undefined] : [...(sids.get(sub) ?? [])]
      for (const c of clients) {
        if (!c.backchannelLogoutUri) continue
        for (const sid of sessions) {
          const now = Math.floor(Date.now() / 1000)
          const token = await new SignJWT({
            sub,
            ...(sid ? { sid } : {}),
            events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
          })
            .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt' })
            .setIssuer(issuer)
            .setAudience(c.clientId)
            .setIssuedAt(now)
            .setExpirationTime(now + 120)
            .setJti(randomUUID())
            .sign(key)
          const res = await fetch(c.backchannelLogoutUri, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ logout_token: token }),
          })
          statuses.push(res.status)
        }
      }
      return statuses
    },
  }
}
