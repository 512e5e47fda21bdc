/**
 * Upstream mode's header hygiene: what the app receives must describe the request Gatehouse
 * judged, not what the client claimed.
 *
 * - identity-like headers (strip.ts), in any spelling: removed; Gatehouse's own are added after.
 * - method overrides (`X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`): removed.
 *   The rules judge the request line's method, so an app that honoured an override would run a
 *   method nobody judged.
 * - `Forwarded`, `X-Forwarded-Host/-Proto/-Port/-Prefix/-Server`, `X-Real-IP`: removed, then
 *   `X-Forwarded-Host/-Proto/-Port` set from `server.publicUrl` (the host the rules judged) and
 *   `Host` likewise. `X-Forwarded-For` is the peer's address, appended to the client's chain only
 *   when the peer is a trusted proxy.
 * - `Connection`: only `keep-alive`, `close` and `upgrade` are kept, so the client cannot name a
 *   header for the app's own proxy to drop (a `Connection` naming an identity header is refused
 *   before this, original-request.ts).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { canonicalHeaderName, type IdentityHeaderCheck } from './strip.js'
import type { HeaderList } from './mapping.js'

export const METHOD_OVERRIDE_HEADERS: readonly string[] = ['x-http-method-override', 'x-http-method', 'x-method-override']

export const FORWARDING_HEADERS: readonly string[] = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-real-ip',
]

const DROP = new Set([...METHOD_OVERRIDE_HEADERS, ...FORWARDING_HEADERS])

export interface ForwardingContext {
  peer: string | undefined
  /** The peer is in `server.trustedProxies`. */
  trusted: boolean
  publicUrl: URL
  isIdentityHeader: IdentityHeaderCheck
  /** Gatehouse's identity headers for this request. */
  identity: HeaderList
}

/** Rewrites `headers` (the incoming request's, about to be proxied) in place. */
export function prepareUpstreamHeaders(headers: IncomingHttpHeaders, ctx: ForwardingContext): void {
  const chain = ctx.trusted && typeof headers['x-forwarded-for'] === 'string' ? headers['x-forwarded-for'] : undefined
  for (const name of Object.keys(headers)) {
    if (ctx.isIdentityHeader(name) || DROP.has(canonicalHeaderName(name))) delete headers[name]
  }
  const { publicUrl } = ctx
  const peer = ctx.peer?.startsWith('::ffff:') ? ctx.peer.slice(7) : ctx.peer
  if (peer) headers['x-forwarded-for'] = chain ? `${chain}, ${peer}` : peer
  headers.host = publicUrl.host
  headers['x-forwarded-host'] = publicUrl.host
  headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1)
  headers['x-forwarded-port'] = publicUrl.port || (publicUrl.protocol === 'https:' ? '443' : '80')
  for (let i = 0; i < ctx.identity.length; i += 2) headers[ctx.identity[i]!.toLowerCase()] = ctx.identity[i + 1]!
  // A `Connection` header may name any header for the next hop to drop, the true ones included.
  const connection = headers.connection
  // Stryker disable next-line ConditionalExpression: without the header, 'undefined' keeps no token and the delete is a no-op
  if (connection !== undefined) {
    const kept = String(connection).split(',').map((t) => t.trim()).filter((t) => HOP_TOKENS.has(t.toLowerCase()))
    if (kept.length > 0) headers.connection = kept.join(', ')
    else delete headers.connection
  }
}

const HOP_TOKENS = new Set(['keep-alive', 'close', 'upgrade'])
