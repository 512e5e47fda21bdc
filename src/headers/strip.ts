/**
 * Identity-like request headers: the ones Gatehouse sets (`X-Auth-Request-*`) and the ones other
 * auth proxies and apps read as "who is this" (oauth2-proxy, Authelia, Grafana, Apache
 * REMOTE_USER …). A client must never supply one: the verify endpoints refuse a request carrying
 * one (src/request/original-request.ts), upstream mode strips them before proxying.
 *
 * Names compare lower-case with `_` and `.` read as `-`: CGI/FastCGI, WSGI and PHP fold them into
 * one variable name (CVE-2025-64484), so `X_Auth_Request_User` is `X-Auth-Request-User` to the app.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { RawConfig } from '../config/schema.js'
import { headerMapping } from './mapping.js'

/** Every header starting with one of these is identity-like. */
export const IDENTITY_PREFIXES: readonly string[] = ['x-auth-request-']

/** Built-in identity-like names; `headers.identityLike` appends to them (it cannot remove any). */
export const DEFAULT_IDENTITY_LIKE: readonly string[] = [
  'X-Forwarded-User',
  'X-Forwarded-Email',
  'X-Forwarded-Groups',
  'X-Forwarded-Preferred-Username',
  'X-Forwarded-Access-Token',
  'X-Remote-User',
  'X-Remote-Email',
  'X-Remote-Groups',
  'X-WEBAUTH-USER',
  'X-WEBAUTH-EMAIL',
  'X-WEBAUTH-NAME',
  'X-Authenticated-User',
  'X-User',
  'X-Email',
  'Remote-User',
  'Remote-Email',
  'Remote-Groups',
  'Remote-Name',
  'Gap-Auth',
  'Gap-Signature',
]

/** Lower-case, `_` and `.` as `-`. */
export function canonicalHeaderName(name: string): string {
  const n = name.toLowerCase()
  // Stryker disable next-line ConditionalExpression,StringLiteral: a fast path only; replace() changes nothing without `_` or `.`
  return n.includes('_') || n.includes('.') ? n.replace(/[_.]/g, '-') : n
}

export type IdentityHeaderCheck = (name: string) => boolean

const matchers = new WeakMap<readonly string[], IdentityHeaderCheck>()

/** The check for the built-in list plus `extra` (memoised per list: config arrays are frozen). */
// Stryker disable next-line ArrayDeclaration: a made-up default name holds spaces, which no header name can
export function identityHeaderCheck(extra: readonly string[] = []): IdentityHeaderCheck {
  let check = matchers.get(extra)
  // Stryker disable next-line ConditionalExpression: the memo only; a rebuilt check answers the same
  if (check) return check
  const names = new Set([...DEFAULT_IDENTITY_LIKE, ...extra].map(canonicalHeaderName))
  check = (name) => {
    const n = canonicalHeaderName(name)
    // Stryker disable next-line MethodExpression: with the one prefix, some() and every() agree
    return names.has(n) || IDENTITY_PREFIXES.some((p) => n.startsWith(p))
  }
  matchers.set(extra, check)
  return check
}

/** The built-in list only. */
export const isIdentityHeader: IdentityHeaderCheck = identityHeaderCheck()

/** True when a `Connection` header value names an identity-like header (the hop-by-hop trick). */
export function connectionNamesIdentity(value: string | string[] | undefined, check: IdentityHeaderCheck): boolean {
  if (value === undefined) return false
  const text = Array.isArray(value) ? value.join(',') : value
  return text.split(',').some((token) => check(token.trim()))
}

/** Deletes every identity-like header from `headers` in place; returns how many were removed. */
export function stripIdentityHeaders(headers: IncomingHttpHeaders, check: IdentityHeaderCheck = isIdentityHeader): number {
  let removed = 0
  for (const name of Object.keys(headers)) {
    if (check(name)) {
      delete headers[name]
      removed++
    }
  }
  return removed
}

const configured = new WeakMap<object, IdentityHeaderCheck>()

/**
 * The check for a config version: the built-in list, `headers.identityLike`, every name the
 * header mapping sets (headers/mapping.ts) and the assertion header, so none can come from a client.
 */
export function identityCheckFor(headers: RawConfig['headers']): IdentityHeaderCheck {
  let check = configured.get(headers)
  if (!check) {
    const extra = [...headers.identityLike, ...headerMapping(headers).names]
    if (headers.assertion.enabled) extra.push(headers.assertion.header)
    configured.set(headers, (check = identityHeaderCheck(Object.freeze(extra))))
  }
  return check
}
