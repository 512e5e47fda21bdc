/**
 * Rebuilds the request the proxy is asking about. Forwarded headers count only from trusted
 * peers (see trusted-proxies.ts); otherwise the request is judged as it arrived.
 *
 * Each endpoint reads only the headers its proxies overwrite: nginx's `/oauth2/auth` the
 * X-Original-URL/-Method its config sets, Traefik's and Caddy's `/oauth2/forward-auth` the
 * X-Forwarded-* they set. Traefik and Caddy pass a client's own X-Original-URL through, and
 * nginx a client's X-Forwarded-Uri, so reading both on one endpoint would let a client choose.
 */
import type { IncomingHttpHeaders } from 'node:http'

export interface OriginalRequest {
  /** The URL the client asked the proxy for, or undefined when it cannot be known. */
  url: URL | undefined
  method: string
}

const TOKEN = /^[A-Z]{1,20}$/

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined) return undefined
  const head = v.split(',')[0]!.trim()
  return head === '' ? undefined : head
}

/** ws/wss become http/https; anything else but http(s) is refused. */
function normaliseScheme(proto: string | undefined, fallback: string): string | undefined {
  const p = (proto ?? fallback).toLowerCase()
  if (p === 'http' || p === 'ws') return 'http'
  if (p === 'https' || p === 'wss') return 'https'
  return undefined
}

function parse(text: string): URL | undefined {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined
  } catch {
    return undefined
  }
}

function fromForwarded(headers: IncomingHttpHeaders, fallbackScheme: string, usePrefix: boolean): URL | undefined {
  const host = first(headers['x-forwarded-host'])
  const uri = headers['x-forwarded-uri']
  if (!host || typeof uri !== 'string' || !uri.startsWith('/')) return undefined
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(host)) return undefined
  const scheme = normaliseScheme(first(headers['x-forwarded-proto']), fallbackScheme)
  if (!scheme) return undefined
  // Caddy relays a client's X-Forwarded-Prefix untouched, so it is read only when configured.
  const prefix = usePrefix ? first(headers['x-forwarded-prefix']) : undefined
  const path = prefix && prefix.startsWith('/') && !prefix.startsWith('//') ? prefix.replace(/\/$/, '') + uri : uri
  return parse(`${scheme}://${host}${path}`)
}

/** Which headers carry the original request: see the module comment. */
export type HeaderSource = 'original' | 'forwarded' | 'self'

/**
 * @param source which forwarded headers to read; 'self' ignores them all (upstream mode)
 * @param trusted whether the TCP peer is a configured proxy
 * @param self the request's own method and URL
 * @param usePrefix prepend X-Forwarded-Prefix (`server.trustForwardedPrefix`)
 */
export function originalRequest(
  headers: IncomingHttpHeaders,
  source: HeaderSource,
  trusted: boolean,
  self: { method: string; url: URL | undefined },
  fallbackScheme: string,
  usePrefix = false,
): OriginalRequest {
  if (!trusted || source === 'self') return self
  let url: URL | undefined
  let m: string | undefined
  if (source === 'original') {
    const original = first(headers['x-original-url'])
    url = original ? parse(original) : undefined
    if (url) url.protocol = normaliseScheme(url.protocol.slice(0, -1), fallbackScheme) + ':'
    m = first(headers['x-original-method'])
  } else {
    url = fromForwarded(headers, fallbackScheme, usePrefix)
    m = first(headers['x-forwarded-method'])
  }
  m = m?.toUpperCase()
  return { url: url ?? self.url, method: m && TOKEN.test(m) ? m : self.method }
}
