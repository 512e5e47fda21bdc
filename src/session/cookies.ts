/** Minimal Cookie parsing and Set-Cookie serialising; Koa's cookie helper assumes too much. */

/** The value of one cookie in a Cookie header, without building a map (hot path). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  let from = 0
  while (from < header.length) {
    const at = header.indexOf(name + '=', from)
    if (at < 0) return undefined
    const before = at === 0 ? ' ' : header[at - 1]
    if (before === ' ' || before === ';') {
      const start = at + name.length + 1
      const end = header.indexOf(';', start)
      return header.slice(start, end < 0 ? undefined : end).trim()
    }
    from = at + name.length
  }
  return undefined
}

/** Every cookie whose name starts with `prefix`, as [name, value] pairs. */
export function cookiesWithPrefix(header: string | undefined, prefix: string): [string, string][] {
  if (!header) return []
  const out: [string, string][] = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
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
