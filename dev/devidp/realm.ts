import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'
import { Accounts, subjectFor, type RealmUser } from './accounts.js'
import { providerConfig, type RealmClient } from './config.js'
import { handleInteraction, sendHtml } from './interaction.js'
import { newEncryptionKey, newSigningKey, signWith, type SignAccessTokenOptions } from './keys.js'
import { loadProvider, quietly, sharedMemoryAdapter, type OidcProvider } from './provider.js'
import { errorPage } from './views.js'
import { createRealmAdmin, type RealmAdmin } from './admin.js'

export { DEMO_USERS, subjectFor, type RealmUser } from './accounts.js'
export type { RealmClient } from './config.js'
export type { SignAccessTokenOptions } from './keys.js'

export interface RealmOptions {
  /** default 127.0.0.1 */
  host?: string
  /** 0 or absent = random */
  port?: number
  /** default 'test' */
  realm?: string
  users: RealmUser[]
  clients: RealmClient[]
  /** shown in a loud red box on every realm page */
  banner?: string
  /** token lifetimes in seconds (Keycloak's defaults: access 300, refresh 1800) */
  ttl?: { accessToken?: number; idToken?: number; refreshToken?: number }
  /** issue a new refresh token on every refresh, the old one dies (default true) */
  rotateRefreshToken?: boolean
}

export interface Realm {
  /** http://HOST:PORT/realms/<realm>, no trailing slash */
  issuer: string
  origin: string
  port: number
  realm: string
  /** the stable UUID `sub` of a user */
  subjectOf(username: string): string
  close(): Promise<void>
  /** stops listening (connections refused) but keeps keys, sessions and tokens; `resume()` listens again on the same port */
  pause(): Promise<void>
  resume(): Promise<void>
  /** a Keycloak-style JWT access token signed with the realm's active key */
  signAccessToken(claims: Record<string, unknown>, opts?: SignAccessTokenOptions): Promise<string>
  /** new active RS256 key; the previous one stays published (passive) until the next rotation */
  rotateKeys(): Promise<void>
  /** admin-console actions: end a user's sessions, back-channel logout, refresh counter */
  admin: RealmAdmin
}

export async function startRealm(opts: RealmOptions): Promise<Realm> {
  const Provider = await loadProvider()
  const host = opts.host ?? '127.0.0.1'
  const realm = opts.realm ?? 'test'
  const mount = `/realms/${realm}`
  const accounts = new Accounts(realm, opts.users)

  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const issuer = `${origin}${mount}`
  const cookieKeys = [randomBytes(32).toString('base64url')]
  const encKey = await newEncryptionKey()
  let signing: JWK[] = [await newSigningKey()]
  // the key the next rotation publishes, made on first use (SignAccessTokenOptions.upcomingKey)
  let upcoming: Promise<JWK> | undefined

  // One memory store for every provider built here, so a rebuilt provider (key rotation) keeps sessions, codes,
  // grants and refresh tokens.
  const adapter = await sharedMemoryAdapter()
  const build = () =>
    quietly(() => {
      const config = providerConfig({
        mount,
        clients: opts.clients,
        accounts,
        keys: [...signing, encKey],
        cookieKeys,
        banner: opts.banner,
        ttl: opts.ttl,
        rotateRefreshToken: opts.rotateRefreshToken,
        adapter,
      })
      const p = new Provider(issuer, config)
      p.on('server_error', (_ctx, err) => console.error('devidp: server_error', err))
      admin.watch(p)
      return p
    })
  const admin = createRealmAdmin(issuer, opts.clients, () => provider, () => signing[0])
  let provider: OidcProvider = await build()
  let handle = provider.callback()

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/'
    const path = url.split('?')[0]
    const m = /^\/interaction\/([^/]+)$/.exec(path)
    if (m) {
      const ctx = { provider, accounts, realm, banner: opts.banner }
      handleInteraction(ctx, req, res, decodeURIComponent(m[1])).catch((err) => {
        console.error('devidp: interaction failed', err)
        if (!res.headersSent) sendHtml(res, 500, errorPage({ error: 'Unexpected error' }))
      })
      return
    }
    if (path === mount || path.startsWith(`${mount}/`)) {
      // oidc-provider derives its mount path from originalUrl minus url.
      Object.assign(req, { originalUrl: url })
      req.url = url.slice(mount.length) || '/'
      return handle(req, res)
    }
    sendHtml(res, 404, errorPage({ error: 'Page not found' }, opts.banner))
  })

  return {
    issuer,
    origin,
    port,
    realm,
    subjectOf: (username) => subjectFor(realm, username),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
    pause: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    resume: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve()
        })
      }),
    async signAccessToken(claims, o = {}) {
      const jwk = o.foreignKey ? await newSigningKey() : o.upcomingKey ? await (upcoming ??= newSigningKey()) : signing[0]
      return signWith(jwk, issuer, claims, o)
    },
    admin,
    async rotateKeys() {
      const next = await (upcoming ??= newSigningKey())
      upcoming = undefined
      signing = [next, signing[0]]
      provider = await build()
      handle = provider.callback()
    },
  }
}
