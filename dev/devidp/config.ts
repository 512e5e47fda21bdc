import type { JWK } from 'jose'
import type { Accounts } from './accounts.js'
import { errorPage, loggedOutPage, logoutPage } from './views.js'

export interface RealmClient {
  clientId: string
  clientSecret: string
  redirectUris: string[]
  /** defaults to redirectUris, as Keycloak's "+" does */
  postLogoutRedirectUris?: string[]
  /** optional back-channel logout receiver; gets a logout+jwt with sid on logout */
  backchannelLogoutUri?: string
  /** Keycloak's "Service accounts roles": the client may use the client-credentials grant. */
  serviceAccount?: boolean
}

interface HtmlCtx {
  type: string
  body: unknown
  oidc: { params: Record<string, unknown> }
}

const OIDC = '/protocol/openid-connect'

/**
 * The client-credentials grant gives a JWT access token only for a resource server (oidc-provider's
 * resource indicators); this one stands for "the realm" and is applied when the request names none.
 */
const SERVICE_ACCOUNT_RESOURCE = 'urn:gatehouse:devidp:service-account'

export interface ConfigInput {
  mount: string
  clients: RealmClient[]
  accounts: Accounts
  keys: JWK[]
  cookieKeys: string[]
  banner?: string
  ttl?: { accessToken?: number; idToken?: number; refreshToken?: number }
  rotateRefreshToken?: boolean
  /** One store for every provider the realm builds (provider.ts sharedMemoryAdapter). */
  adapter?: (model: string) => unknown
}

/** oidc-provider configuration that mimics a Keycloak realm's endpoints, claims and lifetimes. */
export function providerConfig(i: ConfigInput): Record<string, unknown> {
  const { banner } = i
  return {
    ...(i.adapter ? { adapter: i.adapter } : {}),
    clients: i.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris ?? c.redirectUris,
      grant_types: ['authorization_code', 'refresh_token', ...(c.serviceAccount ? ['client_credentials'] : [])],
      response_types: ['code'],
      // oidc-provider accepts client_secret_post from a _basic client too.
      token_endpoint_auth_method: 'client_secret_basic',
      ...(c.backchannelLogoutUri
        ? {
            backchannel_logout_uri: c.backchannelLogoutUri,
            backchannel_logout_session_required: true,
          }
        : {}),
    })),
    jwks: { keys: i.keys },
    cookies: {
      keys: i.cookieKeys,
      // Browsers share cookies across ports, so keep the realm's cookies off the RP's paths/names.
      names: { session: 'KEYCLOAK_SESSION', interaction: 'AUTH_SESSION_ID', resume: 'KC_RESTART' },
      long: { httpOnly: true, sameSite: 'lax', path: i.mount },
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
    // Keycloak's new-realm lifetimes (refresh = SSO idle, session = SSO max).
    ttl: {
      AccessToken: i.ttl?.accessToken ?? 300,
      ClientCredentials: 300,
      AuthorizationCode: 60,
      IdToken: i.ttl?.idToken ?? i.ttl?.accessToken ?? 300,
      RefreshToken: i.ttl?.refreshToken ?? 1800,
      Interaction: 1800,
      Session: 36000,
      Grant: 36000,
    },
    pkce: { required: () => true },
    // Each refresh gives a new refresh token and consumes the old one (a reuse revokes the grant).
    rotateRefreshToken: i.rotateRefreshToken ?? true,
    // Keycloak issues a refresh token on every code exchange, not only for offline_access.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    // A Keycloak service-account token: payload typ Bearer and azp = the client, as Gatehouse's bearer check expects.
    extraTokenClaims: async (_ctx: unknown, token: { kind: string; clientId: string }) =>
      token.kind === 'ClientCredentials'
        ? { typ: 'Bearer', azp: token.clientId, preferred_username: `service-account-${token.clientId}` }
        : undefined,
    findAccount: async (_ctx: unknown, sub: string) => {
      const claims = i.accounts.claims(sub)
      return claims && { accountId: sub, claims: async () => claims }
    },
    interactions: { url: async (_ctx: unknown, it: { uid: string }) => `/interaction/${it.uid}` },
    features: {
      devInteractions: { enabled: false },
      // Needed only so the published RSA-OAEP key is accepted.
      encryption: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Only the client-credentials grant gets the resource: code-flow tokens stay as they were.
        defaultResource: async (ctx: { oidc: { params?: Record<string, unknown> } }, _client: unknown, oneOf?: string) =>
          oneOf ?? (ctx.oidc.params?.grant_type === 'client_credentials' ? SERVICE_ACCOUNT_RESOURCE : undefined),
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx: unknown, _resource: string, client: { clientId: string }) => ({
          scope: 'openid profile email',
          audience: client.clientId,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: HtmlCtx, form: string) => {
          ctx.type = 'html'
          ctx.body = logoutPage(form, Boolean(ctx.oidc.params.id_token_hint), banner)
        },
        postLogoutSuccessSource: async (ctx: HtmlCtx) => {
          ctx.type = 'html'
          ctx.body = loggedOutPage(banner)
        },
      },
    },
    clientBasedCORS: () => true,
    renderError: async (ctx: HtmlCtx, out: Record<string, unknown>) => {
      ctx.type = 'html'
      ctx.body = errorPage(out, banner)
    },
    // The default fetch refuses loopback targets (SSRF guard); back-channel logout needs them.
    fetch: (url: string, { dispatcher: _d, ...init }: RequestInit & { dispatcher?: unknown }) =>
      globalThis.fetch(url, init),
  }
}
