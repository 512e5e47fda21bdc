/**
 * The one place that decides which request Gatehouse is judging: one reader per protocol, each
 * returning a normalised request or a refusal. Anything ambiguous is refused, never guessed:
 * Gatehouse and the app must not disagree about which request this is (issue 10).
 *
 * - nginx `/oauth2/auth`: `X-Original-URL` + `X-Original-Method`, from a trusted peer.
 * - Traefik/Caddy `/oauth2/forward-auth`: `X-Forwarded-Proto/-Host/-Uri/-Method` (+ `-Prefix`
 *   when `server.trustForwardedPrefix`), from a trusted peer.
 * - upstream mode: the connection itself; the host is always `server.publicUrl`'s.
 *
 * Each endpoint reads only the headers its proxies overwrite: Traefik and Caddy pass a client's own
 * X-Original-URL through, and nginx a client's X-Forwarded-Uri, so reading both would let a client
 * choose. Values are never split on `,`: Node joins a repeated header with `, `, so a repeat shows
 * up as whitespace and is refused with it.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { connectionNamesIdentity, type IdentityHeaderCheck } from '../headers/strip.js'

export interface OriginalRequest {
  /**
   * Absolute http(s) URL with a validated host (scheme, host, port, path, query); undefined when
   * the request does not say (an untrusted peer, no forwarded headers), which is never public.
   */
  url: URL | undefined
  /**
   * The path exactly as the proxy relayed it, before WHATWG parsing resolved dots: the rules read
   * it every way a backend might (rules/normalise.ts `pathReadings`). Set whenever `url` is.
   */
  rawPath?: string
  /** Upper-case method token, or ANY_METHOD when a trusted proxy did not say (judged as every method). */
  method: string
}

/**
 * The method of a request whose proxy sent a URL but no method header: the rules judge it as
 * every method they name and keep the strictest answer (rules/match.ts).
 */
export const ANY_METHOD = '*'

/** The path part of a request target: up to `?`. */
const pathOf = (target: string) => {
  const q = target.indexOf('?')
  return q < 0 ? target : target.slice(0, q)
}

export const REFUSAL_CODES = [
  'repeated-header',
  'bad-url',
  'bad-host',
  'bad-method',
  'bad-scheme',
  'bad-prefix',
  'partial-forwarded',
  'not-origin-form',
  'identity-header',
  'connection-names-identity',
] as const
export type RefusalCode = (typeof REFUSAL_CODES)[number]

export interface Refusal {
  refused: RefusalCode
}

const REFUSALS = Object.fromEntries(REFUSAL_CODES.map((c) => [c, Object.freeze({ refused: c })])) as Record<RefusalCode, Refusal>
const refuse = (code: RefusalCode): Refusal => REFUSALS[code]

export const isRefusal = (r: OriginalRequest | Refusal): r is Refusal => 'refused' in r

/** How the original request reaches Gatehouse; 'none' = not needed (userinfo). */
export type Protocol = 'nginx' | 'forward-auth' | 'upstream' | 'none'

export interface ReadContext {
  /** The TCP peer is a configured proxy (`server.trustedProxies`). */
  trusted: boolean
  publicUrl: URL
  /** Scheme when X-Forwarded-Proto is absent. */
  fallbackScheme: string
  /** Prepend X-Forwarded-Prefix (`server.trustForwardedPrefix`). */
  usePrefix: boolean
  isIdentityHeader: IdentityHeaderCheck
}

/** The request line as Node parsed it. */
export interface Incoming {
  headers: IncomingHttpHeaders
  method: string
  /** The request target (`req.url`). */
  target: string
}

const METHOD = /^[A-Z]{1,20}$/
/** A DNS name or IPv4 (no userinfo, no comma, no percent), or a bracketed IPv6; optional port. */
const HOST = /^(?:(?:[A-Za-z0-9_-]+\.)*[A-Za-z0-9_-]+\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/
/** Visible ASCII only: no whitespace, no control characters, no raw non-ASCII. */
const VISIBLE = /^[\x21-\x7e]+$/
const SCHEMES: Record<string, string> = { http: 'http', https: 'https', ws: 'http', wss: 'https' }

type Value = string | Refusal | undefined

/**
 * One header value: undefined when absent or empty, a refusal when repeated (an array, or Node's
 * `, ` join) or when it holds whitespace, a control character or non-ASCII.
 */
function single(headers: IncomingHttpHeaders, name: string): Value {
  const v = headers[name]
  if (!v) return undefined
  if (Array.isArray(v)) return refuse('repeated-header')
  if (!VISIBLE.test(v)) return v.includes(', ') ? refuse('repeated-header') : refuse('bad-url')
  return v
}

function method(headers: IncomingHttpHeaders, name: string, fallback: string): string | Refusal {
  const m = single(headers, name)
  if (m === undefined) return fallback
  if (typeof m !== 'string') return m.refused === 'bad-url' ? refuse('bad-method') : m
  const upper = m.toUpperCase()
  return METHOD.test(upper) ? upper : refuse(m.includes(',') ? 'repeated-header' : 'bad-method')
}

function parse(text: string): URL | Refusal {
  try {
    return new URL(text)
  } catch {
    return refuse('bad-url')
  }
}

/** nginx: `X-Original-URL` must be exactly one absolute http(s) URL. */
export function fromNginx(headers: IncomingHttpHeaders): OriginalRequest | Refusal {
  const m = method(headers, 'x-original-method', ANY_METHOD)
  if (typeof m !== 'string') return m
  const raw = single(headers, 'x-original-url')
  if (raw === undefined) return { url: undefined, method: m }
  if (typeof raw !== 'string') return raw
  const found = /^([A-Za-z]+):\/\/([^/?#]*)([^#]*)$/.exec(raw)
  if (!found) return refuse('bad-url')
  const scheme = SCHEMES[found[1]!.toLowerCase()]
  if (!scheme) return refuse('bad-scheme')
  if (!HOST.test(found[2]!)) return refuse('bad-host')
  const rest = found[3]!
  // Stryker disable next-line ConditionalExpression,StringLiteral: unreachable guard: the regex's greedy host group [^/?#]* ends only at /, ? or the end
  if (rest !== '' && rest[0] !== '/' && rest[0] !== '?') return refuse('bad-url')
  const url = parse(`${scheme}://${found[2]}${rest}`)
  return url instanceof URL ? { url, rawPath: pathOf(rest) || '/', method: m } : url
}

/** Traefik/Caddy: `X-Forwarded-Host` and `-Uri` together, or neither. */
export function fromForwarded(headers: IncomingHttpHeaders, ctx: ReadContext): OriginalRequest | Refusal {
  const m = method(headers, 'x-forwarded-method', ANY_METHOD)
  if (typeof m !== 'string') return m
  const host = single(headers, 'x-forwarded-host')
  const uri = single(headers, 'x-forwarded-uri')
  if (host === undefined && uri === undefined) return { url: undefined, method: m }
  if (host === undefined || uri === undefined) return refuse('partial-forwarded')
  if (typeof host !== 'string') return host.refused === 'bad-url' ? refuse('bad-host') : host
  if (typeof uri !== 'string') return uri
  if (!HOST.test(host)) return refuse('bad-host')
  if (uri[0] !== '/' || uri.includes('#')) return refuse('bad-url')
  const proto = single(headers, 'x-forwarded-proto')
  if (proto !== undefined && typeof proto !== 'string') return proto
  const scheme = SCHEMES[(proto ?? ctx.fallbackScheme).toLowerCase()]
  if (!scheme) return refuse(proto?.includes(',') ? 'repeated-header' : 'bad-scheme')
  let path = uri
  // Caddy relays a client's X-Forwarded-Prefix untouched, so it is read only when configured.
  if (ctx.usePrefix) {
    const prefix = single(headers, 'x-forwarded-prefix')
    if (prefix !== undefined) {
      if (typeof prefix !== 'string') return prefix
      if (prefix[0] !== '/' || prefix.startsWith('//') || /[?#,;%\\]/.test(prefix)) return refuse('bad-prefix')
      path = prefix.replace(/\/+$/, '') + uri
    }
  }
  const url = parse(`${scheme}://${host}${path}`)
  return url instanceof URL ? { url, rawPath: pathOf(path), method: m } : url
}

/**
 * Upstream mode: origin-form targets only (`/path?query`). Absolute-form (`GET http://host/x`),
 * authority-form and `*` are refused, and so is a target whose resolved path begins with `//`;
 * the host is always publicUrl's.
 */
export function fromUpstream(target: string, selfMethod: string, publicUrl: URL): OriginalRequest | Refusal {
  if (target[0] !== '/' || !VISIBLE.test(target) || target.includes('#')) return refuse('not-origin-form')
  const url = parse(publicUrl.origin + target)
  if (!(url instanceof URL)) return url
  // publicUrl.origin + '/…' cannot change the host; checked anyway, it is the whole point.
  if (url.host !== publicUrl.host) return refuse('not-origin-form')
  // The app is sent this pathname (http-proxy-3 resolves the target the same WHATWG way). One that begins
  // with `//` (`//x`, or `/a/..//x` once resolved) is a network-path reference: an app that parses it
  // against a base reads its first segment as a host and the rest as its path, a path no rule saw.
  if (url.pathname.startsWith('//')) return refuse('not-origin-form')
  return { url, rawPath: pathOf(target), method: selfMethod.toUpperCase() }
}

/** A header Gatehouse sets, or another identity-like one, in any spelling; or `Connection` naming one. */
export function presetIdentity(headers: IncomingHttpHeaders, check: IdentityHeaderCheck): Refusal | undefined {
  for (const name in headers) if (check(name)) return refuse('identity-header')
  return connectionNamesIdentity(headers.connection, check) ? refuse('connection-names-identity') : undefined
}

const UNKNOWN_GET: OriginalRequest = Object.freeze({ url: undefined, method: 'GET' })

/**
 * The request to judge. Verify endpoints refuse any identity-like header (the proxies forward the
 * client's headers to them, and copy Gatehouse's answer over the client's); upstream mode strips
 * them instead (src/headers/forwarding.ts) and refuses only the `Connection` trick.
 */
export function readOriginal(protocol: Protocol, req: Incoming, ctx: ReadContext): OriginalRequest | Refusal {
  switch (protocol) {
    case 'upstream':
      if (connectionNamesIdentity(req.headers.connection, ctx.isIdentityHeader)) return refuse('connection-names-identity')
      return fromUpstream(req.target, req.method, ctx.publicUrl)
    case 'none':
      return UNKNOWN_GET
    default: {
      const preset = presetIdentity(req.headers, ctx.isIdentityHeader)
      if (preset) return preset
      // Forwarded headers count only from trusted peers; otherwise the URL is unknown (never public).
      if (!ctx.trusted) return { url: undefined, method: req.method.toUpperCase() }
      return protocol === 'nginx' ? fromNginx(req.headers) : fromForwarded(req.headers, ctx)
    }
  }
}

const NGINX_INPUTS = ['x-original-method', 'x-original-url'] as const
const FORWARDED_INPUTS = ['x-forwarded-method', 'x-forwarded-host', 'x-forwarded-uri', 'x-forwarded-proto'] as const
const PREFIXED_INPUTS = [...FORWARDED_INPUTS, 'x-forwarded-prefix'] as const

/**
 * Every header value `fromNginx` / `fromForwarded` read, as one unambiguous string (lengths before
 * values): the key of access/read-memo.ts. Keep in step with the readers. Undefined when a value is
 * repeated (an array): such a request is read afresh. The context's other inputs are fixed per runtime.
 */
export function readerInputs(protocol: 'nginx' | 'forward-auth', headers: IncomingHttpHeaders, ctx: ReadContext): string | undefined {
  const names = protocol === 'nginx' ? NGINX_INPUTS : ctx.usePrefix ? PREFIXED_INPUTS : FORWARDED_INPUTS
  let key: string = protocol
  for (const name of names) {
    const v = headers[name]
    if (v === undefined) key += '-'
    else if (typeof v !== 'string') return undefined
    else key += `${v.length}:${v}`
  }
  return key
}
