/**
 * Upstream (reverse-proxy) mode: every path but Gatehouse's own is proxied to `upstream` after
 * the same access decision, WebSocket upgrades included. Client-supplied identity headers are
 * stripped by normalised name before Gatehouse's own are added.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Context, Next } from 'koa'
import type { Logger } from 'pino'
import { createProxyServer } from 'http-proxy-3'
import { decide, resultLabel, type Outcome } from './access/decide.js'
import { stripIdentityHeaders } from './headers/strip.js'
import { answerDeny } from './http/deny.js'
import type { Metrics } from './metrics.js'
import type { Runtime } from './runtime.js'

/** Gatehouse's own paths, never proxied. */
export const isOwnPath = (path: string): boolean =>
  path.startsWith('/oauth2/') || path === '/ping' || path === '/ready' || path === '/metrics'

export interface Upstream {
  middleware: (ctx: Context, next: Next) => Promise<void>
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
}

function requestOf(rt: Runtime, req: IncomingMessage) {
  let selfUrl: URL | undefined
  try {
    selfUrl = new URL(req.url ?? '/', rt.config.server.publicUrl)
  } catch {
    selfUrl = undefined
  }
  return { headers: req.headers, peer: req.socket.remoteAddress, source: 'self' as const, method: req.method ?? 'GET', selfUrl, querystring: '' }
}

function prepare(req: IncomingMessage, outcome: Extract<Outcome, { result: 'allow' }>): void {
  stripIdentityHeaders(req.headers)
  for (const [name, value] of outcome.headers) req.headers[name.toLowerCase()] = value
}

export function createUpstream(getRuntime: () => Runtime, metrics: Metrics, logger: Logger): Upstream {
  const proxy = createProxyServer({ xfwd: true, ws: true, changeOrigin: false, proxyTimeout: 60_000 })
  proxy.on('error', (err: Error, _req: IncomingMessage, res: ServerResponse | Duplex) => {
    logger.warn({ err: { message: err.message } }, 'upstream request failed')
    if ('writeHead' in res && !res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end('Bad gateway: the application did not answer.\n')
    } else {
      res.destroy()
    }
  })

  return {
    async middleware(ctx, next) {
      if (isOwnPath(ctx.path)) return next()
      const started = performance.now()
      const rt = getRuntime()
      const target = rt.config.upstream!
      let outcome: Outcome
      try {
        const pending = decide(rt, requestOf(rt, ctx.req))
        outcome = pending instanceof Promise ? await pending : pending
      } catch (err) {
        metrics.decision('upstream', 'error', 'none', (performance.now() - started) / 1000)
        throw err
      }
      metrics.decision('upstream', resultLabel(outcome), outcome.method, (performance.now() - started) / 1000)
      if (outcome.result === 'allow') {
        prepare(ctx.req, outcome)
        ctx.respond = false
        proxy.web(ctx.req, ctx.res, { target: target.href })
        return
      }
      answerDeny(ctx, rt, outcome, { redirectBrowsers: true, locationOn401: false })
    },
    upgrade(req, socket, head) {
      const rt = getRuntime()
      const refuse = (status: string) => {
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      }
      let path = '/'
      try {
        path = new URL(req.url ?? '/', 'http://x').pathname
      } catch {
        return refuse('400 Bad Request')
      }
      if (isOwnPath(path)) return refuse('404 Not Found')
      const started = performance.now()
      new Promise<Outcome>((resolve) => resolve(decide(rt, requestOf(rt, req)))).then(
        (outcome) => {
          metrics.decision('upstream', resultLabel(outcome), outcome.method, (performance.now() - started) / 1000)
          if (outcome.result === 'allow') {
            prepare(req, outcome)
            proxy.ws(req, socket, head, { target: rt.config.upstream!.href })
          } else refuse(outcome.result === 'forbidden' ? '403 Forbidden' : '401 Unauthorized')
        },
        (err: Error) => {
          metrics.decision('upstream', 'error', 'none', (performance.now() - started) / 1000)
          logger.error({ err: { message: err.message } }, 'upgrade decision failed')
          refuse('500 Internal Server Error')
        },
      )
    },
  }
}
