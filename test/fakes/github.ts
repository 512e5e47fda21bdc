import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'

export interface FakeGitHubUser { id: number; login: string; name?: string; publicEmail?: string | null; emails: { email: string; primary: boolean; verified: boolean; visibility?: string | null }[]; orgs: string[]; teams: { org: string; slug: string }[]; orgState?: Record<string, 'active' | 'pending'> }
export interface FakeGitHubOptions {
  port?: number
  clientId: string
  clientSecret: string
  users: FakeGitHubUser[]
  /** GitHub App user tokens ghu_/ghr_ with expiry+rotation; default OAuth App gho_ */
  appMode?: boolean
  /** registered callback URL; without it any absolute http(s) redirect_uri is accepted */
  callbackUrl?: string
}
export interface FakeGitHub {
  origin: string
  apiBase: string
  gheApiBase: string
  close(): Promise<void>
  nextLogin(login: string): void
  nextAuthorizeError(err: string | null): void
  rateLimit(mode: 'off' | '403' | '429'): void
  tokenFor(login: string, scopes?: string[]): string
  requestCount(pathPrefix?: string): number
  revoke(token: string): void
  advanceTime(ms: number): void
}

const DOCS = 'https://docs.github.com'
const DEFAULT_SCOPES = ['read:user', 'user:email', 'read:org']
const ERRORS: Record<string, string> = {
  bad_verification_code: 'The code passed is incorrect or expired.',
  incorrect_client_credentials: 'The client_id and/or client_secret passed are incorrect.',
  redirect_uri_mismatch: 'The redirect_uri MUST match the registered callback URL for this application.',
  bad_refresh_token: 'The refresh token passed is incorrect or expired.',
  unsupported_grant_type: 'The grant type is not supported.',
  access_denied: 'The user has denied your application access.',
  application_suspended: 'Your application has been suspended. Contact support@github.com.',
}

interface Code { login: string; clientId: string; redirectUri: string; scopes: string[]; challenge?: string; exp: number }
interface Token { login: string; scopes: string[]; exp?: number; pair?: string }

const base62 = (n: number) => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(n)].map((b) => abc[b % 62]).join('')
}
const orgId = (org: string) => createHash('sha256').update(org).digest().readUInt32BE(0) % 1e8

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = ''
  for await (const chunk of req) raw += chunk
  if (!(req.headers['content-type'] ?? '').includes('json')) return new URLSearchParams(raw)
  const out = new URLSearchParams()
  for (const [k, v] of Object.entries(raw ? JSON.parse(raw) : {})) out.set(k, String(v))
  return out
}

export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  const codes = new Map<string, Code>()
  const tokens = new Map<string, Token>()
  const refresh = new Map<string, Token>()
  const served: string[] = []
  const used = new Map<string, number>()
  const resetAt = Math.floor(Date.now() / 1000) + 3600
  let skew = 0
  let pendingLogin: string | undefined
  let pendingError: string | null = null
  let rlMode: 'off' | '403' | '429' = 'off'
  const now = () => Date.now() + skew
  const user = (login: string) => opts.users.find((u) => u.login.toLowerCase() === login.toLowerCase())
  const orgState = (u: FakeGitHubUser, org: string) => {
    const name = u.orgs.find((o) => o.toLowerCase() === org.toLowerCase())
    return name ? (u.orgState?.[name] ?? 'active') : undefined
  }

  function mint(login: string, scopes: string[]): Record<string, string | number> {
    if (!opts.appMode) {
      const access = `gho_${base62(36)}`
      tokens.set(access, { login, scopes })
      return { access_token: access, token_type: 'bearer', scope: scopes.join(',') }
    }
    const access = `ghu_${base62(36)}`
    const rt = `ghr_${base62(76)}`
    tokens.set(access, { login, scopes: [], exp: now() + 28800_000, pair: rt })
    refresh.set(rt, { login, scopes: [], exp: now() + 15811200_000, pair: access })
    return { access_token: access, expires_in: 28800, refresh_token: rt, refresh_token_expires_in: 15811200, scope: '', token_type: 'bearer' }
  }

  function redirectUriOk(uri: string) {
    let u: URL
    try { u = new URL(uri) } catch { return false }
    if (!/^https?:$/.test(u.protocol)) return false
    if (!opts.callbackUrl) return true
    const cb = new URL(opts.callbackUrl)
    // OAuth Apps accept any sub-path of the callback on the same host/port; GitHub Apps need an exact match
    if (opts.appMode) return uri === opts.callbackUrl
    return u.origin === cb.origin && (u.pathname === cb.pathname || u.pathname.startsWith(cb.pathname.replace(/\/?$/, '/')))
  }

  function authorize(q: URLSearchParams, res: ServerResponse) {
    if (q.get('client_id') !== opts.clientId) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404</h1>')
    const redirectUri = q.get('redirect_uri') ?? opts.callbackUrl
    const target = (uri: string, params: Record<string, string | null>) => {
      const url = new URL(uri)
      for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v)
      res.writeHead(302, { location: url.href }).end()
    }
    const fail = (uri: string, error: string, description = ERRORS[error] ?? error) =>
      target(uri, { error, error_description: description, error_uri: `${DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#${error.replace(/_/g, '-')}`, state: q.get('state') })
    if (!redirectUri) return void res.writeHead(400, { 'content-type': 'text/html' }).end('<h1>redirect_uri required</h1>')
    if (!redirectUriOk(redirectUri)) {
      if (opts.callbackUrl) return fail(opts.callbackUrl, 'redirect_uri_mismatch')
      return void res.writeHead(400, { 'content-type': 'text/html' }).end('<h1>bad redirect_uri</h1>')
    }
    if (pendingError) {
      const err = pendingError
      pendingError = null
      return fail(redirectUri, err)
    }
    const challenge = q.get('code_challenge') ?? undefined
    if (challenge && q.get('code_challenge_method') !== 'S256') return fail(redirectUri, 'invalid_request', 'code_challenge_method must be S256')
    const login = pendingLogin ?? opts.users[0]?.login
    pendingLogin = undefined
    if (!login || !user(login)) return fail(redirectUri, 'access_denied')
    const code = randomBytes(10).toString('hex')
    const scopes = (q.get('scope') ?? '').split(/[\s,]+/).filter(Boolean)
    codes.set(code, { login: user(login)!.login, clientId: opts.clientId, redirectUri, scopes, challenge, exp: now() + 600_000 })
    target(redirectUri, { code, state: q.get('state') })
  }

  async function accessToken(req: IncomingMessage, res: ServerResponse) {
    const form = await readForm(req)
    const basic = (req.headers.authorization ?? '').match(/^Basic (.+)$/i)
    const [id, secret] = basic
      ? Buffer.from(basic[1], 'base64').toString().split(':')
      : [form.get('client_id'), form.get('client_secret')]
    const reply = (body: Record<string, string | number>) => {
      const json = (req.headers.accept ?? '').includes('application/json')
      const text = json ? JSON.stringify(body) : new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString()
      res.writeHead(200, { 'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded; charset=utf-8', 'cache-control': 'no-store' }).end(text)
    }
    // GitHub answers token errors with HTTP 200 and an `error` member
    const error = (err: string) => reply({ error: err, error_description: ERRORS[err], error_uri: `${DOCS}/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${err.replace(/_/g, '-')}` })
    if (id !== opts.clientId || secret !== opts.clientSecret) return error('incorrect_client_credentials')
    if (form.get('grant_type') === 'refresh_token') {
      const rt = form.get('refresh_token') ?? ''
      const entry = opts.appMode ? refresh.get(rt) : undefined
      if (!entry || entry.exp! <= now()) return error('bad_refresh_token')
      refresh.delete(rt)
      tokens.delete(entry.pair!)
      return reply(mint(entry.login, []))
    }
    if (form.has('grant_type') && form.get('grant_type') !== 'authorization_code') return error('unsupported_grant_type')
    const code = form.get('code') ?? ''
    const entry = codes.get(code)
    // single use: any presentation with valid client credentials burns the code
    codes.delete(code)
    if (!entry || entry.exp <= now() || entry.clientId !== id) return error('bad_verification_code')
    if (form.has('redirect_uri') && form.get('redirect_uri') !== entry.redirectUri) return error('redirect_uri_mismatch')
    if (entry.challenge) {
      const verifier = form.get('code_verifier') ?? ''
      if (createHash('sha256').update(verifier).digest('base64url') !== entry.challenge) return error('bad_verification_code')
    }
    reply(mint(entry.login, entry.scopes))
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL) {
    const prefix = url.pathname.startsWith('/api/v3/') ? '/api/v3' : ''
    const path = url.pathname.slice(prefix.length)
    served.push(path)
    if (!req.headers['user-agent']) {
      return void res.writeHead(403, { 'content-type': 'text/plain' }).end('Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).\n')
    }
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8'
      res.writeHead(status, headers).end(body === undefined ? undefined : JSON.stringify(body))
    }
    const auth = (req.headers.authorization ?? '').match(/^(?:bearer|token) (\S+)$/i)
    const tok = auth ? tokens.get(auth[1]) : undefined
    const live = tok && (!tok.exp || tok.exp > now()) ? tok : undefined
    const bucket = live ? live.login : 'anonymous'
    const limit = live ? 5000 : 60
    const prev = used.get(bucket) ?? 0
    const exhausted = rlMode !== 'off' || prev >= limit
    if (!exhausted) used.set(bucket, prev + 1)
    const rl: Record<string, string> = {
      'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(exhausted ? 0 : limit - prev - 1),
      'x-ratelimit-used': String(exhausted ? limit : prev + 1), 'x-ratelimit-reset': String(resetAt), 'x-ratelimit-resource': 'core',
    }
    if (live) rl['x-oauth-scopes'] = live.scopes.join(', ')
    const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => send(status, body, { ...rl, ...headers })
    const docs = `${DOCS}/rest`
    if (exhausted) {
      const who = live ? `user ID ${user(live.login)!.id}` : '127.0.0.1'
      return reply(rlMode === '429' ? 429 : 403, { message: `API rate limit exceeded for ${who}. If you reach out to GitHub Support for help, please include the request ID ${randomBytes(8).toString('hex').toUpperCase()}.`, documentation_url: `${DOCS}/rest/overview/rate-limits-for-the-rest-api` })
    }

    const del = path.match(/^\/applications\/([^/]+)\/token$/)
    if (del && req.method === 'DELETE') {
      const basic = (req.headers.authorization ?? '').match(/^Basic (.+)$/i)
      const [id, secret] = basic ? Buffer.from(basic[1], 'base64').toString().split(':') : []
      if (id !== opts.clientId || secret !== opts.clientSecret || del[1] !== opts.clientId) return reply(401, { message: 'Bad credentials', documentation_url: docs })
      const body = await readForm(req)
      const token = body.get('access_token') ?? ''
      if (!tokens.has(token)) return reply(404, { message: 'Not Found', documentation_url: docs })
      revoke(token)
      return reply(204)
    }
    if (req.method !== 'GET') return reply(404, { message: 'Not Found', documentation_url: docs })
    if (!auth) return reply(401, { message: 'Requires authentication', documentation_url: docs })
    if (!live) return reply(401, { message: 'Bad credentials', documentation_url: docs })
    const me = user(live.login)!
    const needs = (accepted: string[]) => {
      // GitHub App user tokens carry permissions, not scopes
      if (opts.appMode || accepted.some((s) => live.scopes.includes(s))) return false
      reply(403, { message: 'Forbidden', documentation_url: docs }, { 'x-accepted-oauth-scopes': accepted.join(', ') })
      return true
    }
    const orgScopes = ['read:org', 'write:org', 'admin:org']
    const orgJson = (org: string) => ({ login: org, id: orgId(org), node_id: `O_${orgId(org)}`, url: `${url.origin}${prefix}/orgs/${org}`, description: null })
    const paginate = (items: unknown[], accepted: string) => {
      const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page')) || 30))
      const page = Math.max(1, Number(url.searchParams.get('page')) || 1)
      const last = Math.max(1, Math.ceil(items.length / perPage))
      const link = (p: number, rel: string) => {
        const u = new URL(url.href)
        u.searchParams.set('per_page', String(perPage))
        u.searchParams.set('page', String(p))
        return `<${u.href}>; rel="${rel}"`
      }
      const links = [
        ...(page > 1 ? [link(page - 1, 'prev')] : []),
        ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
        ...(page > 1 ? [link(1, 'first')] : []),
      ]
      reply(200, items.slice((page - 1) * perPage, page * perPage), { 'x-accepted-oauth-scopes': accepted, ...(links.length ? { link: links.join(', ') } : {}) })
    }
    const activeOrgs = me.orgs.filter((o) => orgState(me, o) === 'active')
    let m: RegExpMatchArray | null
    if (path === '/user') {
      return reply(200, { login: me.login, id: me.id, node_id: `U_${me.id}`, avatar_url: `${url.origin}/avatars/${me.id}`, html_url: `${url.origin}/${me.login}`, type: 'User', site_admin: false, name: me.name ?? null, email: me.publicEmail ?? null })
    }
    if (path === '/user/emails') {
      if (needs(['user:email', 'user'])) return
      return paginate(me.emails.map((e) => ({ email: e.email, primary: e.primary, verified: e.verified, visibility: e.visibility !== undefined ? e.visibility : e.primary ? 'private' : null })), 'user, user:email')
    }
    if (path === '/user/orgs') {
      if (needs(orgScopes)) return
      return paginate(activeOrgs.map(orgJson), orgScopes.join(', '))
    }
    if (path === '/user/teams') {
      if (needs(orgScopes)) return
      const teams = me.teams.filter((t) => activeOrgs.some((o) => o.toLowerCase() === t.org.toLowerCase()))
      return paginate(teams.map((t) => ({ id: orgId(`${t.org}/${t.slug}`), node_id: `T_${orgId(`${t.org}/${t.slug}`)}`, name: t.slug, slug: t.slug, organization: orgJson(t.org) })), orgScopes.join(', '))
    }
    if ((m = path.match(/^\/user\/memberships\/orgs\/([^/]+)$/))) {
      if (needs(orgScopes)) return
      const state = orgState(me, m[1])
      if (!state) return reply(404, { message: 'Not Found', documentation_url: docs })
      return reply(200, { url: `${url.href}`, state, role: 'member', organization_url: `${url.origin}${prefix}/orgs/${m[1]}`, organization: orgJson(m[1]), user: { login: me.login, id: me.id } })
    }
    if ((m = path.match(/^\/orgs\/([^/]+)\/members\/([^/]+)$/))) {
      const target = user(m[2])
      if (orgState(me, m[1]) !== 'active') return reply(302, undefined, { location: `${url.origin}${prefix}/orgs/${m[1]}/public_members/${m[2]}` })
      return reply(target && orgState(target, m[1]) === 'active' ? 204 : 404)
    }
    if (path.match(/^\/orgs\/([^/]+)\/public_members\/([^/]+)$/)) return reply(404)
    if ((m = path.match(/^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/))) {
      if (needs(orgScopes)) return
      const [, org, slug, login] = m
      const target = user(login)
      const inTeam = target?.teams.some((t) => t.org.toLowerCase() === org.toLowerCase() && t.slug === slug)
      if (!target || !inTeam) return reply(404, { message: 'Not Found', documentation_url: docs })
      return reply(200, { url: url.href, role: 'member', state: orgState(target, org) ?? 'active' })
    }
    reply(404, { message: 'Not Found', documentation_url: docs })
  }

  function revoke(token: string) {
    const entry = tokens.get(token) ?? refresh.get(token)
    tokens.delete(token)
    refresh.delete(token)
    if (entry?.pair) { tokens.delete(entry.pair); refresh.delete(entry.pair) }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin)
    const run = async () => {
      if (url.pathname === '/login/oauth/authorize' && req.method === 'GET') return authorize(url.searchParams, res)
      if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') return accessToken(req, res)
      return api(req, res, url)
    }
    run().catch((err) => { if (!res.headersSent) res.writeHead(500).end(String(err)) })
  })
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    origin,
    apiBase: origin,
    gheApiBase: `${origin}/api/v3`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
    nextLogin: (login) => { pendingLogin = login },
    nextAuthorizeError: (err) => { pendingError = err },
    rateLimit: (mode) => { rlMode = mode },
    tokenFor: (login, scopes = DEFAULT_SCOPES) => {
      if (!user(login)) throw new Error(`unknown user ${login}`)
      return String(mint(user(login)!.login, scopes).access_token)
    },
    requestCount: (pathPrefix = '') => served.filter((p) => p.startsWith(pathPrefix.replace(/^\/api\/v3(?=\/)/, ''))).length,
    revoke,
    advanceTime: (ms) => { skew += ms },
  }
}
