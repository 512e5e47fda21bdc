/**
 * Merged oauth2-proxy options → a Gatehouse config object and one report line per option. The steps
 * live in map-provider, map-access, map-session, map-headers and map-ui; this file does the server, upstream
 * and logging, and reports whatever no step handled.
 */
import { MigrateContext, type Merged } from './context.js'
import { mapAccess } from './map-access.js'
import { mapHeaders } from './map-headers.js'
import { mapProvider } from './map-provider.js'
import { mapSessionAndCookie } from './map-session.js'
import { mapUi } from './map-ui.js'
import { flagOfKey } from './options.js'
import { KNOWN } from './unsupported.js'

type Obj = Record<string, unknown>

/** Private ranges: oauth2-proxy's reverse_proxy believes any peer; this is the narrowest guess that still works in a cluster. */
const PRIVATE_RANGES = ['127.0.0.1/32', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']

function listenOf(address: string): string | undefined {
  const a = address.replace(/^https?:\/\//, '')
  if (/^unix:/.test(a)) return undefined
  if (/^:\d+$/.test(a)) return `0.0.0.0${a}`
  return /^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/.test(a) ? a : undefined
}

function mapServer(ctx: MigrateContext, out: Obj): string | undefined {
  const server: Obj = {}
  const redirect = ctx.str('redirect_url')
  let host: string | undefined
  if (redirect && URL.canParse(redirect) && /^https?:$/.test(new URL(redirect).protocol)) {
    const u = new URL(redirect)
    server.publicUrl = u.origin
    host = u.hostname
    const path = u.pathname
    ctx.line('redirect_url', path === '/oauth2/callback' ? 'mapped' : 'difference', 'server.publicUrl', path === '/oauth2/callback' ? 'the callback stays <publicUrl>/oauth2/callback' : `the callback is always <publicUrl>/oauth2/callback, not ${path}: register that at the IdP`)
  } else {
    server.publicUrl = ctx.secret('GATEHOUSE_PUBLIC_URL', "the URL browsers use to reach Gatehouse, e.g. https://auth.example.com (oauth2-proxy derived it from each request's host)")
    if (redirect) ctx.line('redirect_url', 'difference', 'server.publicUrl', `"${redirect}" is not an absolute URL: set GATEHOUSE_PUBLIC_URL`)
    else ctx.remark('--redirect-url', 'missing', 'server.publicUrl', 'not in the input (oauth2-proxy then uses the request host): set GATEHOUSE_PUBLIC_URL; the callback is <publicUrl>/oauth2/callback')
  }
  const address = ctx.str('http_address')
  if (address !== undefined) {
    const listen = listenOf(address)
    if (listen) {
      server.listen = listen
      ctx.line('http_address', 'mapped', 'server.listen')
    } else ctx.line('http_address', 'unsupported', 'server.listen', `"${address}": Gatehouse listens on host:port only (default 0.0.0.0:4180)`)
  }
  if (ctx.bool('reverse_proxy')) {
    server.trustedProxies = PRIVATE_RANGES
    ctx.line('reverse_proxy', 'difference', 'server.trustedProxies', 'oauth2-proxy believed X-Forwarded-* from any peer; Gatehouse only from these ranges (loopback and private): narrow them to your proxy. /oauth2/auth reads X-Original-URL (ingress-nginx sends it; plain nginx: proxy_set_header X-Original-URL $scheme://$http_host$request_uri)')
  } else if (ctx.has('reverse_proxy')) ctx.line('reverse_proxy', 'mapped', 'server.trustedProxies', 'loopback only (the default)')
  out.server = server
  const metrics = ctx.str('metrics_address')
  if (metrics !== undefined) {
    const listen = listenOf(metrics)
    if (listen) out.metrics = { listen }
    ctx.line('metrics_address', listen ? 'mapped' : 'unsupported', 'metrics.listen')
  }
  return host
}

function mapUpstream(ctx: MigrateContext, out: Obj): void {
  const ups = ctx.list('upstreams')
  if (!ups.length) return
  const http = ups.filter((u) => /^https?:\/\//.test(u))
  const other = ups.filter((u) => !/^https?:\/\//.test(u))
  const rootOnly = (u: string) => {
    try {
      return new URL(u.replace(/#path=.*$/, '')).pathname.replace(/\/+$/, '') === '' && !u.includes('#path=')
    } catch {
      return false
    }
  }
  if (http.length === 1 && other.length === 0 && rootOnly(http[0]!)) {
    out.upstream = http[0]
    ctx.line('upstreams', 'mapped', 'upstream', 'upstream mode: Gatehouse proxies every request but its own paths')
  } else if (http.length === 0) {
    ctx.line('upstreams', 'not-needed', undefined, `${other.join(', ')}: used behind nginx/Traefik/Caddy, Gatehouse needs no upstream (forward-auth mode)`)
  } else {
    out.upstream = http.find(rootOnly) ?? http[0]!.replace(/#path=.*$/, '')
    ctx.line('upstreams', 'difference', 'upstream', `one upstream only: ${out.upstream as string}; path-based routing to ${ups.filter((u) => u !== out.upstream).join(', ')} belongs in the proxy in front (or run Gatehouse in forward-auth mode)`)
  }
}

function mapLogging(ctx: MigrateContext, out: Obj): void {
  // oauth2-proxy's request log is Gatehouse's access log; both default to on there, off here.
  const request = ctx.bool('request_logging')
  if (ctx.has('request_logging')) {
    out.logging = { accessLog: request ?? true }
    ctx.line('request_logging', 'mapped', 'logging.accessLog', 'one line per decision')
  }
  ctx.line('auth_logging', 'not-needed', undefined, 'sign-ins, sign-outs and refused logins are always logged')
}

function mapMisc(ctx: MigrateContext): void {
  const prefix = ctx.str('proxy_prefix')
  if (prefix !== undefined) {
    ctx.line('proxy_prefix', prefix.replace(/\/+$/, '') === '/oauth2' ? 'not-needed' : 'unsupported', undefined, 'Gatehouse paths are fixed under /oauth2/')
  }
  const host = ctx.bool('pass_host_header')
  if (host !== undefined) {
    ctx.line('pass_host_header', host ? 'not-needed' : 'unsupported', undefined, "upstream mode sends Host: the public URL's host, as pass_host_header=true does")
  }
}

export interface MapResult {
  config: Obj
  ctx: MigrateContext
}

export function mapOptions(options: ReadonlyMap<string, Merged>, readFile?: (path: string) => string | undefined, alphaProviderId?: string): MapResult {
  const ctx = new MigrateContext(options, readFile)
  const out: Obj = {}
  const host = mapServer(ctx, out)
  mapSessionAndCookie(ctx, out, host)
  const { provider, extraIssuers } = mapProvider(ctx, alphaProviderId)
  out.providers = [provider]
  if (extraIssuers.length) out.extraIssuers = extraIssuers
  mapAccess(ctx, out, provider.type as string)
  mapUpstream(ctx, out)
  mapHeaders(ctx, out, provider.type as string)
  mapUi(ctx, out, provider.type as string)
  mapLogging(ctx, out)
  mapMisc(ctx)
  for (const [key] of options) {
    if (ctx.reported.has(key)) continue
    const known = KNOWN[key]
    if (known) ctx.line(key, known[0], undefined, known[1])
    else ctx.line(key, 'unsupported', undefined, `${flagOfKey(key)} is not translated by gatehouse migrate (an oauth2-proxy option with no Gatehouse counterpart, or not an oauth2-proxy v7 option): check by hand what it did`)
  }
  return { config: out, ctx }
}
