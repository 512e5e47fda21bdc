import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'
import { loadProvider, type OidcProvider } from './provider.js'
import { errorPage, loggedOutPage, loginPage, logoutPage } from './views.js'

export interface RealmUser {
  username: string
  password: string
  email: string
  emailVerified?: boolean
  name?: string
  groups: string[]
  realmRoles?: string[]
  clientRoles?: Record<string, string[]>
}

export interface RealmClient {
  clientId: string
  clientSecret: string
  redirectUris: string[]
  postLogoutRedirectUris?: string[]
  /** optional back-channel logout receiver; gets a logout+jwt with sid on logout */
  backchannelLogoutUri?: string
}

export interface RealmOptions {
  host?: string
  port?: number
  realm?: string
  users: RealmUser[]
  clients: RealmClient[]
  banner?: string
}

export interface SignAccessTokenOptions {
  /** seconds until expiry, default 300 (Keycloak's access token lifespan) */
  expiresIn?: number
  /** header typ, default 'JWT' like Keycloak */
  typ?: string
  /** sign with a throwaway key the realm does not publish */
  foreignKey?: boolean
}

export interface Realm {
  issuer: string
  origin: string
  port: number
  realm: string
  /** stable Keycloak-style UUID subject of a user */
  subjectOf(username: string): string
  close(): Promise<void>
  signAccessToken(claims: Record<string, unknown>, opts?: SignAccessTokenOptions): Promise<string>
  /** new active RS256 key; the previous one stays published (passive) until the next rotation */
  rotateKeys(): Promise<void>
}

export const DEMO_USERS: RealmUser[] = [
  {
    username: 'alice',
    password: 'alice',
    email: 'alice@example.com',
    emailVerified: true,
    name: 'Alice Admin',
    groups: ['staff', 'sre'],
    realmRoles: ['admin'],
  },
  {
    username: 'bob',
    password: 'bob',
    email: 'bob@example.com',
    emailVerified: true,
    name: 'Bob Builder',
    groups: ['staff'],
  },
]

const OIDC = '/protocol/openid-connect'

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' }
}

// Keycloak's certs also publish an encryption key; clients must filter on use === 'sig'.
async function newEncryptionKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RSA-OAEP', { extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kid: randomUUID(), alg: 'RSA-OAEP', use: 'enc' }
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))))
    req.on('error', reject)
  })
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'text/html; charset=utf-8')
  res.setHeader('Cache-Control', 'no-store')
  res.end(html)
}

export async function startRealm(opts: RealmOptions): Promise<Realm> {
  const Provider = await loadProvider()
  const host = opts.host ?? '127.0.0.1'
  const realm = opts.realm ?? 'test'
  const mount = `/realms/${realm}`
  const banner = opts.banner

  const users = new Map<string, RealmUser & { sub: string }>()
  for (const u of opts.users) users.set(uuidFrom(`${realm}:${u.username}`), { ...u, sub: uuidFrom(`${realm}:${u.username}`) })
  const findUser = (login: string) => {
    const l = login.trim().toLowerCase()
    for (const u of users.values()) {
      if (u.username.toLowerCase() === l || u.email.toLowerCase() === l) return u
    }
    return undefined
  }

  const claimsOf = (u: RealmUser & { sub: string }) => {
    const resourceAccess: Record<string, { roles: string[] }> = {
      account: { roles: ['manage-account', 'manage-account-links', 'view-profile'] },
    }
    for (const [client, roles] of Object.entries(u.clientRoles ?? {})) resourceAccess[client] = { roles }
    const [given, ...family] = (u.name ?? '').split(' ')
    return {
      sub: u.sub,
      preferred_username: u.username.toLowerCase(),
      email: u.email,
      email_verified: u.emailVerified ?? true,
      name: u.name,
      given_name: given || undefined,
      family_name: family.join(' ') || undefined,
      groups: u.groups,
      realm_access: {
        roles: [...(u.realmRoles ?? []), `default-roles-${realm}`, 'offline_access', 'uma_authorization'],
      },
      resource_access: resourceAccess,
    }
  }

  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const issuer = `${origin}${mount}`
  const cookieKeys = [randomBytes(32).toString('base64url')]

  let signingKeys: JWK[] = [await newSigningKey()]
  const encKey = await newEncryptionKey()

  const build = (): OidcProvider => {
    const provider = new Provider(issuer, {
      clients: opts.clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        redirect_uris: c.redirectUris,
        post_logout_redirect_uris: c.postLogoutRedirectUris ?? c.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        ...(c.backchannelLogoutUri
          ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true }
          : {}),
      })),
      jwks: { keys: [...signingKeys, encKey] },
      cookies: {
        keys: cookieKeys,
        // Browsers share cookies across ports, so keep the realm's cookies off the RP's paths.
        names: { session: 'KEYCLOAK_SESSION', interaction: 'AUTH_SESSION_ID', resume: 'KC_RESTART' },
        long: { httpOnly: true, sameSite: 'lax', path: mount },
      },
      routes: {
        authorization: `${OIDC}/auth`,
        token: `${OIDC}/token`,
        userinfo: `${OIDC}/userinfo`,
        jwks: `${OIDC}/certs`,
        end_session: `${OIDC}/logout`,
        introspection: `${OIDC}/token/introspect`,
        revocation: `${OIDC}/revoke`,
      },
      scopes: ['openid', 'offline_access', 'email', 'profile'],
      // Keycloak's default client scopes put roles and groups in every token.
      claims: {
        openid: ['sub', 'preferred_username', 'groups', 'realm_access', 'resource_access'],
        email: ['email', 'email_verified'],
        profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      },
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      // Keycloak issues a refresh token on every code exchange, not only for offline_access.
      issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
        client.grantTypeAllowed('refresh_token'),
      findAccount: async (_ctx: unknown, sub: string) => {
        const u = users.get(sub)
        if (!u) return undefined
        return { accountId: sub, claims: async () => claimsOf(u) }
      },
      interactions: { url: async (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
      features: {
        devInteractions: { enabled: false },
        introspection: { enabled: true },
        revocation: { enabled: true },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx: LogoutCtx, form: string) => {
            ctx.type = 'html'
            ctx.body = logoutPage(form, Boolean(ctx.oidc.params.id_token_hint), banner)
          },
          postLogoutSuccessSource: async (ctx: LogoutCtx) => {
            ctx.type = 'html'
            ctx.body = loggedOutPage(banner)
          },
        },
      },
      clientBasedCORS: () => true,
      renderError: async (ctx: LogoutCtx, out: Record<string, unknown>) => {
        ctx.type = 'html'
        ctx.body = errorPage(out, banner)
      },
      // The default fetch refuses loopback targets (SSRF guard); back-channel logout needs them.
      fetch: (url: string, { dispatcher: _d, ...init }: RequestInit & { dispatcher?: unknown }) =>
        globalThis.fetch(url, init),
    })
    provider.on('server_error', (_ctx, err) => console.error('devidp server_error', err))
    return provider
  }

  let provider = build()
  let handle = provider.callback()

  const finish = async (
    req: IncomingMessage,
    res: ServerResponse,
    accountId: string,
    p: OidcProvider,
  ) => {
    const details = await p.interactionDetails(req, res)
    const clientId = details.params.client_id ?? ''
    const grant = details.grantId
      ? ((await p.Grant.find(details.grantId)) ?? new p.Grant({ accountId, clientId }))
      : new p.Grant({ accountId, clientId })
    grant.addOIDCScope(details.params.scope ?? 'openid')
    const missingClaims = details.prompt.details.missingOIDCClaims
    if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims as string[])
    const grantId = await grant.save()
    await p.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    )
  }

  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string) => {
    const p = provider
    let details
    try {
      details = await p.interactionDetails(req, res)
    } catch {
      return sendHtml(res, 400, errorPage({ error: 'Your login attempt timed out or was not found.' }, banner))
    }
    if (details.uid !== uid) return sendHtml(res, 400, errorPage({ error: 'Invalid interaction' }, banner))
    const action = `/interaction/${encodeURIComponent(uid)}`
    const view = { realm, action, clientId: details.params.client_id, banner }

    if (details.prompt.name !== 'login' && details.session?.accountId) {
      // Keycloak has no consent screen by default: grant whatever was asked for.
      return finish(req, res, details.session.accountId, p)
    }
    if (req.method === 'GET') return sendHtml(res, 200, loginPage(view))
    if (req.method !== 'POST') return sendHtml(res, 405, errorPage({ error: 'Method not allowed' }, banner))

    const form = await readForm(req)
    const username = form.get('username') ?? ''
    const user = findUser(username)
    if (!user || user.password !== (form.get('password') ?? '')) {
      return sendHtml(res, 200, loginPage({ ...view, username, error: 'Invalid username or password.' }))
    }
    return finish(req, res, user.sub, p)
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/'
    const path = url.split('?')[0]
    const m = /^\/interaction\/([^/]+)$/.exec(path)
    if (m) {
      interaction(req, res, decodeURIComponent(m[1])).catch((err) => {
        console.error('devidp interaction error', err)
        if (!res.headersSent) sendHtml(res, 500, errorPage({ error: 'Unexpected error' }, banner))
      })
      return
    }
    if (path === mount || path.startsWith(`${mount}/`)) {
      // oidc-provider derives its mount path from originalUrl minus url.
      const r = req as IncomingMessage & { originalUrl?: string }
      r.originalUrl = url
      req.url = url.slice(mount.length) || '/'
      return handle(req, res)
    }
    sendHtml(res, 404, errorPage({ error: 'Page not found' }, banner))
  })

  const privateKeyOf = async (jwk: JWK) => importJWK(jwk, 'RS256')

  return {
    issuer,
    origin,
    port,
    realm,
    subjectOf: (username) => uuidFrom(`${realm}:${username}`),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
    async signAccessToken(claims, o = {}) {
      const jwk = o.foreignKey ? await newSigningKey() : signingKeys[0]
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({
        iss: issuer,
        iat: now,
        exp: now + (o.expiresIn ?? 300),
        jti: randomUUID(),
        typ: 'Bearer',
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: o.typ ?? 'JWT' })
        .sign(await privateKeyOf(jwk))
    },
    async rotateKeys() {
      signingKeys = [await newSigningKey(), signingKeys[0]]
      provider = build()
      handle = provider.callback()
    },
  }
}

interface LogoutCtx {
  type: string
  body: unknown
  oidc: { params: Record<string, unknown> }
}
