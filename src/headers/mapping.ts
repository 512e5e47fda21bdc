/**
 * Which identity fields go into which headers (config `headers.presets`, `separator`, `custom`):
 * compiled once per config version, applied once per identity (memoised on the identity object,
 * which a cached session or token keeps), the access token added per request. The memo is the
 * per-session cost of the headers: one flat array of names and values, list values shared.
 *
 * Values are made header-safe or refused, never emitted broken:
 * - a control character (U+0000–U+001F, U+007F–U+009F: CR/LF above all) in a single value, or
 *   in the access token, refuses the whole allow (decide.ts answers 403);
 * - a list element (group, role) holding a control character or the separator is left out, the
 *   rest is joined;
 * - other non-ASCII text is sent as its UTF-8 bytes, as oauth2-proxy does (Node writes header
 *   strings byte per char, so the string carries the UTF-8 bytes one per char).
 */
import type { RawConfig } from '../config/schema.js'
import type { Identity } from '../plugin.js'

type HeadersConfig = RawConfig['headers']
type Field = HeadersConfig['custom'][number]['field']
type IdentityField = Exclude<Field, 'access_token'>

interface Entry {
  name: string
  field: IdentityField | 'none'
  separator: string
}

const PRESETS: Record<HeadersConfig['presets'][number], { prefix: string; roles: boolean }> = {
  xauthrequest: { prefix: 'X-Auth-Request-', roles: true },
  forwarded: { prefix: 'X-Forwarded-', roles: false },
}

/**
 * Header names and values alternating, `[name, value, name, value, …]`: `writeHead`'s own form, and one
 * array per cached identity instead of an array per pair (bench/memory.ts: ~150 B less per session).
 */
export type HeaderList = readonly string[]

export interface HeaderMapping {
  /** Every header name the mapping may set: identity-like, so refused from clients and stripped. */
  readonly names: readonly string[]
  /** The identity headers, always all present (empty when unknown); undefined: a value is unsafe. */
  identity(identity: Identity): HeaderList | undefined
  /** `headers` plus the access-token headers, or `headers` itself when there are none; undefined: unsafe token. */
  withToken(headers: HeaderList, token: string | undefined): HeaderList | undefined
  /** The config needs the session's access token. */
  readonly needsAccessToken: boolean
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const ASCII = /^[\u0020-\u007e]*$/
const TOKEN = /^[\u0021-\u007e]+$/

/** The header-safe form of one value, or undefined when it holds a control character. */
export function headerSafe(value: string): string | undefined {
  // Stryker disable next-line ConditionalExpression: a fast path; printable ASCII is its own UTF-8 and has no control character
  if (ASCII.test(value)) return value
  if (CONTROL.test(value)) return undefined
  return Buffer.from(value).toString('latin1')
}

/** Elements holding a control character or the separator are left out; the rest joined. */
export function joinList(values: readonly string[], separator: string): string {
  const core = separator.trim() || separator
  let out = ''
  let first = true
  for (const v of values) {
    if (v.includes(core) || CONTROL.test(v)) continue
    out += first ? headerSafe(v)! : separator + headerSafe(v)!
    first = false
  }
  return out
}

/** A single value's header form; lists (groups, roles) are joined once per list in compile(). */
function scalar(identity: Identity, field: Exclude<Entry['field'], 'groups' | 'roles'>): string | undefined {
  switch (field) {
    case 'user':
      return headerSafe(identity.user)
    case 'subject':
      return headerSafe(identity.subject)
    case 'email':
      return headerSafe(identity.email ?? '')
    case 'preferred_username':
      return headerSafe(identity.preferredUsername ?? '')
    case 'provider':
      return headerSafe(identity.provider)
    case 'none':
      return ''
  }
}

function compile(config: HeadersConfig): HeaderMapping {
  const entries: Entry[] = []
  const tokenNames: { name: string; bearer: boolean }[] = []
  for (const preset of config.presets) {
    const { prefix, roles } = PRESETS[preset]
    const separator = config.separator
    entries.push(
      { name: `${prefix}User`, field: 'user', separator },
      { name: `${prefix}Email`, field: 'email', separator },
      { name: `${prefix}Groups`, field: 'groups', separator },
      { name: `${prefix}Preferred-Username`, field: 'preferred_username', separator },
    )
    // X-Auth-Request-Roles is always sent, empty unless `headers.roles` opts in.
    if (roles) entries.push({ name: `${prefix}Roles`, field: config.roles ? 'roles' : 'none', separator })
    if (config.passAccessToken) tokenNames.push({ name: `${prefix}Access-Token`, bearer: false })
  }
  for (const c of config.custom) {
    if (c.field === 'access_token') tokenNames.push({ name: c.name, bearer: false })
    else entries.push({ name: c.name, field: c.field, separator: c.separator ?? config.separator })
  }
  if (config.passAuthorization) tokenNames.push({ name: 'Authorization', bearer: true })
  const memo = new WeakMap<Identity, HeaderList | null>()
  // Values that many identities hold alike are one string: a list header's per list (lists are interned by
  // content, src/session/slim.ts), joined once. Only user-specific values are per entry.
  const byList = entries.map(() => new WeakMap<readonly string[], string>())
  const valueOf = (identity: Identity, i: number): string | undefined => {
    const entry = entries[i]!
    if (entry.field !== 'groups' && entry.field !== 'roles') return scalar(identity, entry.field)
    const list = identity[entry.field]
    let v = byList[i]!.get(list)
    // Stryker disable next-line ConditionalExpression: the memo only; a list joined again joins alike
    if (v === undefined) byList[i]!.set(list, (v = joinList(list, entry.separator)))
    return v
  }
  return Object.freeze({
    names: Object.freeze([...entries.map((e) => e.name), ...tokenNames.filter((t) => !t.bearer).map((t) => t.name)]),
    needsAccessToken: tokenNames.length > 0,
    identity(identity: Identity) {
      let headers = memo.get(identity)
      if (headers === undefined) {
        // Sized up front: kept as long as the identity is cached, with no spare capacity.
        // Stryker disable next-line ArrayDeclaration: the size only saves memory; the filled list is the same
        const list = new Array<string>(entries.length * 2)
        headers = list
        for (let i = 0; i < entries.length; i++) {
          const v = valueOf(identity, i)
          if (v === undefined) {
            headers = null
            break
          }
          list[2 * i] = entries[i]!.name
          list[2 * i + 1] = v
        }
        memo.set(identity, headers)
      }
      return headers ?? undefined
    },
    withToken(headers: HeaderList, token: string | undefined) {
      if (tokenNames.length === 0 || !token) return headers
      if (!TOKEN.test(token)) return undefined
      const out = [...headers]
      for (const t of tokenNames) out.push(t.name, t.bearer ? `Bearer ${token}` : token)
      return out
    },
  })
}

const compiled = new WeakMap<HeadersConfig, HeaderMapping>()

/** The mapping of a config version (memoised: config objects are frozen). */
export function headerMapping(config: HeadersConfig): HeaderMapping {
  let mapping = compiled.get(config)
  // Stryker disable next-line ConditionalExpression: the memo only; a recompiled mapping maps the same
  if (!mapping) compiled.set(config, (mapping = compile(config)))
  return mapping
}

/** The session must keep (and refresh) its access token: some header carries it. */
export const passesAccessToken = (config: HeadersConfig): boolean => headerMapping(config).needsAccessToken

/** Names a mapping must not set: framing, routing, cookies and the forwarding headers Gatehouse itself sets. */
const RESERVED = new Set([
  'host', 'connection', 'content-length', 'content-type', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'keep-alive',
  'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'cookie', 'set-cookie', 'location', 'www-authenticate',
  'authorization', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port',
  'x-forwarded-prefix', 'x-forwarded-server', 'x-real-ip', 'x-request-id',
])

/** Config problems of the mapping and the assertion header: reserved names, a name set twice. */
export function mappingProblems(config: HeadersConfig): string[] {
  const problems: string[] = []
  const canonical = (n: string) => n.toLowerCase().replace(/[_.]/g, '-')
  const seen = new Map<string, string>()
  const claim = (name: string, at: string) => {
    const c = canonical(name)
    if (RESERVED.has(c)) problems.push(`${at}: "${name}" is reserved (use passAuthorization for Authorization)`)
    else if (seen.has(c)) problems.push(`${at}: "${name}" is already set by ${seen.get(c)} (names compare in any case, "_" and "." as "-")`)
    else seen.set(c, at)
  }
  for (const preset of config.presets) {
    const { prefix, roles } = PRESETS[preset]
    const suffixes = ['User', 'Email', 'Groups', 'Preferred-Username']
    if (roles) suffixes.push('Roles')
    if (config.passAccessToken) suffixes.push('Access-Token')
    suffixes.forEach((s) => claim(prefix + s, `headers.presets (${preset})`))
  }
  config.custom.forEach((c, i) => claim(c.name, `headers.custom[${i}].name`))
  if (config.assertion.enabled) claim(config.assertion.header, 'headers.assertion.header')
  return problems
}
