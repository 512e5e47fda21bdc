/**
 * Client-supplied identity headers must never reach an upstream. Names compare lower-case with
 * `_` read as `-`, since WSGI/PHP backends fold one into the other (CVE-2025-64484).
 */
import type { IncomingHttpHeaders } from 'node:http'

const IDENTITY_PREFIXES = ['x-auth-request-']
const IDENTITY_NAMES = new Set([
  'x-forwarded-user',
  'x-forwarded-email',
  'x-forwarded-groups',
  'x-forwarded-preferred-username',
  'x-forwarded-access-token',
  'remote-user',
  'remote-email',
  'remote-groups',
  'remote-name',
  'gap-auth',
  'gap-signature',
])

export function isIdentityHeader(name: string): boolean {
  const n = name.toLowerCase().replace(/_/g, '-')
  return IDENTITY_NAMES.has(n) || IDENTITY_PREFIXES.some((p) => n.startsWith(p))
}

/** Deletes every identity header from `headers` in place; returns how many were removed. */
export function stripIdentityHeaders(headers: IncomingHttpHeaders): number {
  let removed = 0
  for (const name of Object.keys(headers)) {
    if (isIdentityHeader(name)) {
      delete headers[name]
      removed++
    }
  }
  return removed
}
