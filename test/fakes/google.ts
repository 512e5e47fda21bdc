import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type JWTPayload } from 'jose'

export interface FakeGoogleUser { sub: string; email: string; emailVerified: boolean; hd?: string; name?: string }
export interface FakeGoogleOptions {
  port?: number
  clientId: string
  clientSecret: string
  users: FakeGoogleUser[]
  /** ID tokens carry the issuer without its scheme (Google's legacy `accounts.google.com` form) */
  bareIssuer?: boolean
  groups?: Record<string, string[]>
  /** advertise `authorization_response_iss_parameter_supported` and send `iss` on the callback */
  issParameter?: boolean
  /** registered redirect URIs; without them any absolute redirect_uri is accepted */
  redirectUris?: string[]
}
export interface FakeGoogle {
  origin: string
  issuer: string
  close(): Promise<void>
  nextLogin(sub: string): void
  setBareIssuer(b: boolean): void
  lastAuthorizeParams(): URLSearchParams | undefined
  signIdToken(claims: JWTPayload): Promise<string>
  directoryRequests(): number
  /** a Directory API bearer token minted without the JWT-bearer grant */
  directoryToken(): string
  advanceTime(ms: number): void
}

const SCOPE_URLS: Record<string, string> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
}

interface Code { sub: string; redirectUri: string; scopes: string[]; nonce?: string; challenge?: string; method?: string; withRefresh: boolean; exp: number }
interface Grant { sub: string; scopes: string[]; nonce?: string; refreshToken?: string; revoked: boolean }

const rand = (n: number) => randomBytes(n).toString('base64url')
const domain = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase()

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = ''
  for await (const chunk of req) raw += chunk
  if (!(req.headers['content-type'] ?? '').includes('json')) return new URLSearchParams(raw)
  const out = new URLSearchParams()
  for (const [k, v] of Object.entries(raw ? JSON.parse(raw) : {})) out.set(k, String(v))
  return out
}

export async function startFakeGoogle(opts: FakeGoogleOptions): Promise<FakeGoogle> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const kid = rand(12)
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
  const codes = new Map<string, Code>()
  const grants = new Map<string, Grant>()
  const accessTokens = new Map<string, { grant: string; exp: number }>()
  const dirTokens = new Set<string>()
  const offlineConsent = new Set<string>()
  let skew = 0
  let bare = opts.bareIssuer ?? false
  let pendingSub: string | undefined
  let lastParams: URLSearchParams | undefined
  let dirCount = 0
  const now = () => Date.now() + skew
  const user = (sub: string) => opts.users.find((u) => u.sub === sub)

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body))
  const page = (res: ServerResponse, status: number, text: string) => res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(`<h1>${text}</h1>`)

  function signIdToken(claims: JWTPayload) {
    const t = Math.floor(now() / 1000)
    const iss = bare ? new URL(origin).host : origin
    return new SignJWT({ iss, aud: opts.clientId, azp: opts.clientId, iat: t, exp: t + 3600, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .sign(privateKey)
  }

  function discovery() {
    return {
      issuer: origin,
      authorization_endpoint: `${origin}/o/oauth2/v2/auth`,
      token_endpoint: `${origin}/token`,
      userinfo_endpoint: `${origin}/v1/userinfo`,
      revocation_endpoint: `${origin}/revoke`,
      jwks_uri: `${origin}/oauth2/v3/certs`,
      response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      ...(opts.issParameter ? { authorization_response_iss_parameter_supported: true } : {}),
    }
  }

  function authorize(q: URLSearchParams, res: ServerResponse) {
    lastParams = new URLSearchParams(q)
    if (q.get('client_id') !== opts.clientId) return page(res, 401, 'Error 401: invalid_client')
    const redirectUri = q.get('redirect_uri') ?? ''
    let valid = false
    try { valid = /^https?:$/.test(new URL(redirectUri).protocol) } catch {}
    if (!valid || (opts.redirectUris && !opts.redirectUris.includes(redirectUri))) return page(res, 400, 'Error 400: redirect_uri_mismatch')
    const back = (params: Record<string, string | undefined | null>) => {
      const url = new URL(redirectUri)
      for (const [k, v] of Object.entries(params)) if (v != null) url.searchParams.set(k, v)
      if (opts.issParameter) url.searchParams.set('iss', origin)
      res.writeHead(302, { location: url.href }).end()
    }
    if (q.get('response_type') !== 'code') return back({ error: 'unsupported_response_type', state: q.get('state') })
    const method = q.get('code_challenge') ? (q.get('code_challenge_method') ?? 'plain') : undefined
    if (method && method !== 'S256' && method !== 'plain') return back({ error: 'invalid_request', state: q.get('state') })
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean)
    if (!scopes.length) return page(res, 400, 'Error 400: invalid_request Missing required parameter: scope')
    // `hd` only steers Google's account chooser, so it never restricts who may log in here
    const sub = pendingSub ?? opts.users[0]?.sub
    pendingSub = undefined
    const u = sub ? user(sub) : undefined
    if (!u) return back({ error: 'access_denied', state: q.get('state') })
    // a refresh token comes only with access_type=offline, and then only on first consent or a forced one
    const offline = q.get('access_type') === 'offline'
    const consent = (q.get('prompt') ?? '').split(' ').includes('consent') || (offline && !offlineConsent.has(u.sub))
    if (offline) offlineConsent.add(u.sub)
    const code = `4/0A${rand(48)}`
    codes.set(code, {
      sub: u.sub, redirectUri, scopes, nonce: q.get('nonce') ?? undefined, challenge: q.get('code_challenge') ?? undefined, method,
      withRefresh: offline && consent, exp: now() + 600_000,
    })
    back({ state: q.get('state'), code, scope: fullScope(scopes), authuser: '0', hd: u.hd, prompt: consent ? 'consent' : 'none' })
  }

  const fullScope = (scopes: string[]) => scopes.map((s) => SCOPE_URLS[s] ?? s).join(' ')

  async function tokenResponse(grantId: string, initial: boolean) {
    const grant = grants.get(grantId)!
    const u = user(grant.sub)!
    const access = `ya29.a0${rand(90)}`
    accessTokens.set(access, { grant: grantId, exp: now() + 3599_000 })
    const body: Record<string, unknown> = { access_token: access, expires_in: 3599, scope: fullScope(grant.scopes), token_type: 'Bearer' }
    if (initial && grant.refreshToken) body.refresh_token = grant.refreshToken
    if (grant.scopes.includes('openid')) {
      const hash = createHash('sha256').update(access).digest().subarray(0, 16).toString('base64url')
      body.id_token = await signIdToken({
        sub: u.sub, at_hash: hash, ...(initial && grant.nonce ? { nonce: grant.nonce } : {}),
        ...(grant.scopes.includes('email') ? { email: u.email, email_verified: u.emailVerified } : {}),
        ...(u.hd ? { hd: u.hd } : {}),
        ...(grant.scopes.includes('profile') && u.name ? { name: u.name } : {}),
      })
    }
    return body
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    const form = await readForm(req)
    const bad = (error: string, error_description: string, status = 400) => send(res, status, { error, error_description }, { 'cache-control': 'no-store' })
    const ok = (body: unknown) => send(res, 200, body, { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' })
    const grantType = form.get('grant_type')
    if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      // only shape-checked: the double cannot know the service account's public key
      let claims: JWTPayload
      try { claims = decodeJwt(form.get('assertion') ?? '') } catch { return bad('invalid_grant', 'Invalid JWT Signature.') }
      if (typeof claims.sub !== 'string' || typeof claims.scope !== 'string') return bad('invalid_grant', 'Invalid JWT: missing sub or scope')
      const access = `ya29.c.${rand(90)}`
      dirTokens.add(access)
      return ok({ access_token: access, expires_in: 3599, token_type: 'Bearer' })
    }
    const basic = (req.headers.authorization ?? '').match(/^Basic (.+)$/i)
    const [id, secret] = basic
      ? Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent)
      : [form.get('client_id'), form.get('client_secret')]
    if (id !== opts.clientId) return bad('invalid_client', 'The OAuth client was not found.', 401)
    if (secret !== opts.clientSecret) return bad('invalid_client', 'Unauthorized', 401)
    if (grantType === 'refresh_token') {
      const entry = [...grants.entries()].find(([, g]) => g.refreshToken && g.refreshToken === form.get('refresh_token'))
      if (!entry || entry[1].revoked) return bad('invalid_grant', 'Token has been expired or revoked.')
      return ok(await tokenResponse(entry[0], false))
    }
    if (grantType !== 'authorization_code') return bad('unsupported_grant_type', 'Invalid grant_type: ' + (grantType ?? ''))
    const code = form.get('code') ?? ''
    const entry = codes.get(code)
    codes.delete(code)
    if (!entry || entry.exp <= now()) return bad('invalid_grant', 'Bad Request')
    if (form.get('redirect_uri') !== entry.redirectUri) return bad('redirect_uri_mismatch', 'Bad Request')
    const verifier = form.get('code_verifier')
    if (entry.challenge) {
      if (!verifier) return bad('invalid_grant', 'Missing code verifier.')
      const derived = entry.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier
      if (derived !== entry.challenge) return bad('invalid_grant', 'Bad Request')
    } else if (verifier) return bad('invalid_grant', 'code_verifier or verifier is not needed.')
    const grantId = rand(12)
    grants.set(grantId, { sub: entry.sub, scopes: entry.scopes, nonce: entry.nonce, refreshToken: entry.withRefresh ? `1//0${rand(70)}` : undefined, revoked: false })
    ok(await tokenResponse(grantId, true))
  }

  function bearer(req: IncomingMessage) {
    return (req.headers.authorization ?? '').match(/^Bearer (\S+)$/i)?.[1]
  }

  function userinfo(req: IncomingMessage, res: ServerResponse) {
    const at = accessTokens.get(bearer(req) ?? '')
    const grant = at && at.exp > now() ? grants.get(at.grant) : undefined
    if (!grant || grant.revoked) {
      return send(res, 401, { error: 'invalid_request', error_description: 'Invalid Credentials' }, { 'www-authenticate': `Bearer realm="${origin}/", error="invalid_token"` })
    }
    const u = user(grant.sub)!
    send(res, 200, {
      sub: u.sub, ...(u.name ? { name: u.name } : {}),
      ...(grant.scopes.includes('email') ? { email: u.email, email_verified: u.emailVerified } : {}),
      ...(u.hd ? { hd: u.hd } : {}),
    })
  }

  async function revokeToken(req: IncomingMessage, res: ServerResponse, q: URLSearchParams) {
    const form = await readForm(req)
    const t = form.get('token') ?? q.get('token') ?? ''
    const at = accessTokens.get(t)
    // revoking either token ends the whole grant: the access token takes its refresh token with it
    const grantId = at?.grant ?? [...grants.entries()].find(([, g]) => g.refreshToken === t)?.[0]
    const grant = grantId ? grants.get(grantId) : undefined
    if (!grant || grant.revoked || (at && at.exp <= now())) return send(res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' })
    grant.revoked = true
    send(res, 200, {})
  }

  function directory(req: IncomingMessage, res: ServerResponse, groupKey: string, memberKey: string) {
    dirCount++
    const error = (code: number, message: string, reason: string, status: string) =>
      send(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }], status } })
    if (!dirTokens.has(bearer(req) ?? '')) return error(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'authError', 'UNAUTHENTICATED')
    const groups = Object.fromEntries(Object.entries(opts.groups ?? {}).map(([g, m]) => [g.toLowerCase(), m.map((e) => e.toLowerCase())]))
    const group = groupKey.toLowerCase()
    const member = memberKey.toLowerCase()
    if (!groups[group]) return error(404, 'Resource Not Found: groupKey', 'notFound', 'NOT_FOUND')
    if (domain(member) !== domain(group)) return error(400, 'Invalid input: memberKey', 'invalid', 'INVALID_ARGUMENT')
    // hasMember follows nested groups inside the domain
    const seen = new Set<string>()
    const walk = (g: string): boolean => {
      if (seen.has(g)) return false
      seen.add(g)
      return (groups[g] ?? []).some((m) => m === member || (groups[m] !== undefined && walk(m)))
    }
    send(res, 200, { isMember: walk(group) })
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin)
    const p = url.pathname
    const run = async () => {
      if (p === '/.well-known/openid-configuration') return send(res, 200, discovery())
      if (p === '/oauth2/v3/certs') return send(res, 200, { keys: [jwk] }, { 'cache-control': 'public, max-age=22000, must-revalidate, no-transform' })
      if (p === '/o/oauth2/v2/auth' && req.method === 'GET') return authorize(url.searchParams, res)
      if (p === '/token' && req.method === 'POST') return token(req, res)
      if (p === '/v1/userinfo' && (req.method === 'GET' || req.method === 'POST')) return userinfo(req, res)
      if (p === '/revoke') return req.method === 'POST' ? revokeToken(req, res, url.searchParams) : send(res, 405, { error: 'invalid_request', error_description: 'Method not allowed' })
      const m = p.match(/^\/admin\/directory\/v1\/groups\/([^/]+)\/hasMember\/([^/]+)$/)
      if (m && req.method === 'GET') return directory(req, res, decodeURIComponent(m[1]), decodeURIComponent(m[2]))
      send(res, 404, { error: 'not_found' })
    }
    run().catch((err) => { if (!res.headersSent) res.writeHead(500).end(String(err)) })
  })
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    origin,
    issuer: origin,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
    nextLogin: (sub) => { pendingSub = sub },
    setBareIssuer: (b) => { bare = b },
    lastAuthorizeParams: () => lastParams,
    signIdToken,
    directoryRequests: () => dirCount,
    directoryToken: () => {
      const access = `ya29.c.${rand(90)}`
      dirTokens.add(access)
      return access
    },
    advanceTime: (ms) => { skew += ms },
  }
}
