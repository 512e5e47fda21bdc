/**
 * Rebuilds the request the proxy is asking about. Forwarded headers count only from trusted
 * peers (see trusted-proxies.ts); otherwise the request is judged as it arrived.
 * Order (forward-auth-protocols.md §6): X-Original-URL, then X-Forwarded-Proto/Host/Prefix/Uri.
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

function fromForwarded(headers: IncomingHttpHeaders, fallbackScheme: string): URL | undefined {
  const host = first(headers['x-forwarded-host'])
  const uri = headers['x-forwarded-uri']
  if (!host || typeof uri !== 'string' || !uri.startsWith('/')) return undefined
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(host)) return undefined
  const scheme = normaliseScheme(first(headers['x-forwarded-proto']), fallbackScheme)
  if (!scheme) return undefined
  const prefix = first(headers['x-forwarded-prefix'])
  const path = prefix && prefix.startsWith('/') && !prefix.startsWith('//') ? prefix.replace(/\/$/, '') + uri : uri
  return parse(`${scheme}://${host}${path}`)
}

/**
 * @param trusted whether the TCP peer is a configured proxy
 * @param self the request's own method and URL (upstream mode, or untrusted peers)
 */
export function originalRequest(
  headers: IncomingHttpHeaders,
  trusted: boolean,
  self: { method: string; url: URL | undefined },
  fallbackScheme: string,
): OriginalRequest {
  if (!trusted) return self
  const original = first(headers['x-original-url'])
  let url = original ? parse(original) : undefined
  if (url) url.protocol = normaliseScheme(url.protocol.slice(0, -1), fallbackScheme) + ':'
  url ??= fromForwarded(headers, fallbackScheme) ?? self.url
  const m = (first(headers['x-original-method']) ?? first(headers['x-forwarded-method']))?.toUpperCase()
  return { url, method: m && TOKEN.test(m) ? m : self.method }
}
