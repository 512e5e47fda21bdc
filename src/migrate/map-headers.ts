/**
 * oauth2-proxy's identity headers → `headers.presets`, `headers.custom`, `passAccessToken`, `passAuthorization`.
 *
 * Where they go in oauth2-proxy (its legacy options → alpha headers): in upstream mode the *request* headers
 * reach the app: pass_user_headers (default true) X-Forwarded-User/-Email/-Groups/-Preferred-Username,
 * pass_access_token X-Forwarded-Access-Token, pass_authorization_header `Authorization: Bearer <ID token>`.
 * The *response* headers reach the proxy in front (forward-auth mode, /oauth2/auth): set_xauthrequest
 * X-Auth-Request-User/-Email/-Groups/-Preferred-Username, plus -Access-Token with pass_access_token.
 * prefer_email_to_user puts the email in X-Forwarded-User and drops X-Forwarded-Email.
 * Gatehouse sends its headers to the app in both modes, so each mode maps the direction the app sees.
 */
import type { MigrateContext } from './context.js'

type Obj = Record<string, unknown>
interface Custom {
  name: string
  field: string
}

/** oauth2-proxy claim sources → Gatehouse fields. */
const CLAIMS: Record<string, string> = {
  user: 'user',
  email: 'email',
  groups: 'groups',
  preferred_username: 'preferred_username',
  sub: 'subject',
  access_token: 'access_token',
}

const FORWARDED = ['X-Forwarded-User', 'X-Forwarded-Email', 'X-Forwarded-Groups', 'X-Forwarded-Preferred-Username']

interface AlphaHeader {
  name: string
  values: { claimSource?: { claim?: string; prefix?: string; basicAuthPassword?: unknown } }[]
}

function parseAlpha(raw: string): AlphaHeader | undefined {
  try {
    const h = JSON.parse(raw) as AlphaHeader
    return typeof h.name === 'string' && Array.isArray(h.values) ? h : undefined
  } catch {
    return undefined
  }
}

/** One alpha header → a custom entry, `authorization`, or why not. */
function alphaEntry(h: AlphaHeader): Custom | 'authorization' | string {
  if (h.values.length !== 1 || !h.values[0]?.claimSource) return `${h.name}: only one claim per header is supported (secret values and several values are not)`
  const { claim = '', prefix, basicAuthPassword } = h.values[0].claimSource
  if (basicAuthPassword !== undefined) return `${h.name}: Basic credentials are not sent`
  if (h.name.toLowerCase() === 'authorization') {
    return claim === 'access_token' && prefix === 'Bearer ' ? 'authorization' : `${h.name}: only "Bearer <access token>" (headers.passAuthorization); oauth2-proxy's default carries the ID token`
  }
  const field = CLAIMS[claim]
  if (!field) return `${h.name}: claim "${claim}" has no header field (fields: user, subject, email, preferred_username, groups, roles, provider, access_token)`
  if (prefix) return `${h.name}: a value prefix ("${prefix}") is not supported`
  return { name: h.name, field }
}

/** Alpha injectRequestHeaders (upstream mode) / injectResponseHeaders (forward-auth mode) → headers.custom. */
function mapAlpha(ctx: MigrateContext, headers: Obj, upstream: boolean): boolean {
  const active = upstream ? 'alpha_inject_request_headers' : 'alpha_inject_response_headers'
  const idle = upstream ? 'alpha_inject_response_headers' : 'alpha_inject_request_headers'
  if (!ctx.has(active) && !ctx.has(idle)) return false
  ctx.line(idle, 'not-needed', undefined, upstream ? 'oauth2-proxy added these to responses to the browser; Gatehouse adds identity headers only to the request the app gets' : 'these reach an upstream only; Gatehouse runs in forward-auth mode here (no upstream)')
  if (!ctx.has(active)) return false
  const custom: Custom[] = []
  const refused: string[] = []
  for (const raw of ctx.list(active)) {
    const h = parseAlpha(raw)
    const entry = h ? alphaEntry(h) : `${raw}: not a header entry`
    if (entry === 'authorization') headers.passAuthorization = true
    else if (typeof entry === 'string') refused.push(entry)
    else custom.push(entry)
  }
  // The alpha list replaces oauth2-proxy's header flags: the app gets exactly these, so no preset.
  headers.presets = []
  if (custom.length) headers.custom = custom
  const got = [...custom.map((c) => `${c.name} = ${c.field}`), ...(headers.passAuthorization ? ['Authorization = Bearer access token'] : [])].join(', ')
  ctx.line(active, refused.length ? 'difference' : 'mapped', 'headers.custom', `${got || 'nothing'}${refused.length ? `; not migrated: ${refused.join('; ')}` : ''}`)
  return true
}

/** The legacy flags in upstream mode: the app sees oauth2-proxy's request headers. */
function mapUpstreamFlags(ctx: MigrateContext, headers: Obj): void {
  const custom: Custom[] = []
  const userHeaders = ctx.bool('pass_user_headers') ?? true
  const preferEmail = ctx.bool('prefer_email_to_user') ?? false
  const presets: string[] = []
  if (userHeaders && !preferEmail) presets.push('forwarded')
  else if (userHeaders) custom.push({ name: 'X-Forwarded-User', field: 'email' }, { name: 'X-Forwarded-Groups', field: 'groups' }, { name: 'X-Forwarded-Preferred-Username', field: 'preferred_username' })
  const forwarded = 'X-Forwarded-User/-Email/-Groups/-Preferred-Username to the upstream'
  if (ctx.has('pass_user_headers')) ctx.line('pass_user_headers', 'mapped', 'headers.presets', userHeaders ? (preferEmail ? 'see --prefer-email-to-user' : `forwarded: ${forwarded}`) : '[]: no identity headers to the upstream, as oauth2-proxy')
  else ctx.remark('--pass-user-headers', 'mapped', 'headers.presets', `oauth2-proxy's default (true) in upstream mode: ${preferEmail ? 'see --prefer-email-to-user' : `forwarded, ${forwarded}`}`)
  if (preferEmail) ctx.line('prefer_email_to_user', userHeaders ? 'mapped' : 'not-needed', userHeaders ? 'headers.custom' : undefined, userHeaders ? 'X-Forwarded-User carries the email, no X-Forwarded-Email, as oauth2-proxy' : 'no user headers are sent')
  else ctx.line('prefer_email_to_user', 'not-needed', undefined, 'off')
  ctx.line('set_xauthrequest', 'not-needed', undefined, ctx.bool('set_xauthrequest') ? 'in upstream mode oauth2-proxy added X-Auth-Request-* to responses to the browser, not to the upstream request; Gatehouse does not (add presets: [xauthrequest] if the app reads them)' : 'off')
  if (ctx.bool('pass_access_token')) {
    if (presets.length) headers.passAccessToken = true
    else custom.push({ name: 'X-Forwarded-Access-Token', field: 'access_token' })
    ctx.line('pass_access_token', 'mapped', presets.length ? 'headers.passAccessToken' : 'headers.custom', 'X-Forwarded-Access-Token to the upstream, kept fresh by refresh')
  } else ctx.line('pass_access_token', 'not-needed', undefined, 'off')
  if (ctx.bool('pass_authorization_header')) {
    headers.passAuthorization = true
    ctx.line('pass_authorization_header', 'difference', 'headers.passAuthorization', 'Authorization: Bearer carries the access token (oauth2-proxy sent the ID token)')
  } else ctx.line('pass_authorization_header', 'not-needed', undefined, 'off')
  ctx.line('set_authorization_header', 'not-needed', undefined, 'a response header to the browser in upstream mode; Gatehouse sends Authorization only to the upstream (pass-authorization-header)')
  headers.presets = presets
  if (custom.length) headers.custom = custom
}

/** The legacy flags in forward-auth mode: the app sees what the proxy copies from /oauth2/auth's answer. */
function mapForwardAuthFlags(ctx: MigrateContext, headers: Obj): void {
  const xauth = ctx.bool('set_xauthrequest') ?? false
  const off = 'so /oauth2/auth sent no identity; Gatehouse always sends X-Auth-Request-* (xauthrequest), and the proxy copies only the auth-response-headers you list'
  if (xauth) ctx.line('set_xauthrequest', 'mapped', 'headers.presets', 'xauthrequest (the default): X-Auth-Request-User/-Email/-Groups/-Preferred-Username')
  else if (ctx.has('set_xauthrequest')) ctx.line('set_xauthrequest', 'difference', 'headers.presets', `off in oauth2-proxy, ${off}`)
  else ctx.remark('--set-xauthrequest', 'difference', 'headers.presets', `unset (off) in oauth2-proxy, ${off}`)
  if (ctx.bool('pass_access_token')) {
    if (xauth) headers.passAccessToken = true
    ctx.line('pass_access_token', xauth ? 'mapped' : 'not-needed', xauth ? 'headers.passAccessToken' : undefined, xauth ? 'X-Auth-Request-Access-Token' : 'without set-xauthrequest oauth2-proxy gave /oauth2/auth no token header; set headers.passAccessToken if the app needs X-Auth-Request-Access-Token')
  } else ctx.line('pass_access_token', 'not-needed', undefined, 'off')
  if (ctx.bool('set_authorization_header')) {
    headers.passAuthorization = true
    ctx.line('set_authorization_header', 'difference', 'headers.passAuthorization', 'Authorization: Bearer carries the access token (oauth2-proxy sent the ID token)')
  } else ctx.line('set_authorization_header', 'not-needed', undefined, 'off')
  const none = 'request headers to an upstream: forward-auth mode has none'
  for (const key of ['pass_user_headers', 'pass_authorization_header']) ctx.line(key, 'not-needed', undefined, none)
  ctx.line('prefer_email_to_user', 'not-needed', undefined, `${none}, and it does not change X-Auth-Request-User`)
}

export function mapHeaders(ctx: MigrateContext, out: Obj, type: string): void {
  const headers: Obj = {}
  const upstream = out.upstream !== undefined
  if (!mapAlpha(ctx, headers, upstream)) (upstream ? mapUpstreamFlags : mapForwardAuthFlags)(ctx, headers)
  if (type === 'keycloak' && (ctx.has('allowed_roles') || ctx.list('allowed_groups').some((g) => g.startsWith('role:')))) headers.roles = true
  // Names a preset already sets would be a config error: the preset wins.
  const presetNames = new Set((headers.presets as string[] | undefined)?.includes('forwarded') ? FORWARDED.map((n) => n.toLowerCase()) : [])
  if (Array.isArray(headers.custom)) headers.custom = (headers.custom as Custom[]).filter((c) => !presetNames.has(c.name.toLowerCase()))
  if (Array.isArray(headers.presets) && headers.presets.length === 1 && headers.presets[0] === 'xauthrequest') delete headers.presets
  if (Object.keys(headers).length) out.headers = headers
}
