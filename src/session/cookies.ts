/** Minimal Cookie parsing and Set-Cookie serialising; Koa's cookie helper assumes too much. */

/**
 * Where the value of `name` starts in a Cookie header: -1 when absent, -2 when the name occurs
 * more than once, or when it occurs next to a cookie named `name + conflict` (one pass for both).
 */
function valueStart(header: string, name: string, conflict?: string): number {
  let found = -1
  let conflicting = false
  let from = 0
  for (;;) {
    const at = header.indexOf(name, from)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: found is -1 or an index after `=` (≥ 1); -1 and -2 both read as absent
    if (at < 0) return found >= 0 && conflicting ? -2 : found
    from = at + name.length
    // A whole name only: `xgh_session=` is not `gh_session=`, `gh_session_0=` is not `gh_session=`, and a
    // match inside another cookie's value (`a=x _gh_session=y` is one cookie) does not count either: the
    // name must start a cookie-pair, after `;` and optional whitespace.
    let i = at - 1
    // Stryker disable next-line ConditionalExpression: charCodeAt(-1) is NaN, which ends the loop anyway
    while (i >= 0 && (header.charCodeAt(i) === 32 || header.charCodeAt(i) === 9)) i--
    if (i >= 0 && header.charCodeAt(i) !== 59 /* ; */) continue
    if (header.charCodeAt(from) !== 61 /* = */) {
      if (conflict && header.startsWith(conflict, from) && header.charCodeAt(from + conflict.length) === 61) conflicting = true
      continue
    }
    // Stryker disable next-line EqualityOperator: found is -1 or an index after `=`, never 0
    if (found >= 0) return -2
    found = from + 1
  }
}

/**
 * The value of one cookie in a Cookie header, without building a map (hot path). Undefined when
 * the cookie is absent or present more than once: two cookies of one name (one planted from a
 * sibling subdomain, say) have no trustworthy order, so neither is believed. With `conflict`,
 * also undefined when a cookie named `name + conflict` is present (a chunk next to a whole cookie).
 */
export function readCookie(header: string | undefined, name: string, conflict?: string): string | undefined {
  if (!header) return undefined
  const start = valueStart(header, name, conflict)
  // Stryker disable next-line EqualityOperator: a value starts after `name=`, never at 0
  if (start < 0) return undefined
  const end = header.indexOf(';', start)
  // Stryker disable next-line EqualityOperator: a `;` is found at or after start (≥ 1), or not at all
  return header.slice(start, end < 0 ? undefined : end).trim()
}

/** How often `name` occurs in a Cookie header: 0, 1, or 2 for "more than once". */
export function cookieCount(header: string | undefined, name: string): 0 | 1 | 2 {
  if (!header) return 0
  const start = valueStart(header, name)
  return start === -1 ? 0 : start === -2 ? 2 : 1
}

/** Every cookie whose name starts with `prefix`, as [name, value] pairs. */
export function cookiesWithPrefix(header: string | undefined, prefix: string): [string, string][] {
  if (!header) return []
  const out: [string, string][] = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    // Stryker disable next-line EqualityOperator: at 0 the name is empty, which starts with no non-empty prefix
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    if (name.startsWith(prefix)) out.push([name, part.slice(eq + 1).trim()])
  }
  return out
}

export interface CookieAttributes {
  path: string
  domain?: string
  maxAge: number
  secure: boolean
  httpOnly: boolean
  sameSite: 'lax' | 'strict' | 'none'
}

/** Cookie name prefixes browsers enforce (RFC 6265bis §4.1.3), matched case-insensitively as browsers do. */
export const isHostPrefixed = (name: string): boolean => name.slice(0, 7).toLowerCase() === '__host-'
export const isSecurePrefixed = (name: string): boolean => name.slice(0, 9).toLowerCase() === '__secure-'

export function serializeCookie(name: string, value: string, a: CookieAttributes): string {
  let out = `${name}=${value}; Path=${a.path}`
  if (a.domain) out += `; Domain=${a.domain}`
  out += `; Max-Age=${Math.max(0, Math.floor(a.maxAge))}`
  out += `; Expires=${new Date(Date.now() + Math.max(0, a.maxAge) * 1000).toUTCString()}`
  if (a.httpOnly) out += '; HttpOnly'
  if (a.secure) out += '; Secure'
  out += `; SameSite=${a.sameSite[0]!.toUpperCase()}${a.sameSite.slice(1)}`
  return out
}
