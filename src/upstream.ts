/**
 * Upstream (reverse-proxy) mode: every path but Gatehouse's own is proxied to `upstream` after
 * the same access decision, WebSocket upgrades included. The request is read like every other
 * (original-request.ts: origin-form only, publicUrl's host); headers are rewritten by
 * headers/forwarding.ts before proxying.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Context, Next } from 'koa'
import type { Logger } from 'pino'
import { createRequire } from 'node:module'
import { accessRequest, decide, type Outcome } from './access/decide.js'
import { countDecision, countFailure, requestIdOf } from './access-log.js'
import { prepareUpstreamHeaders } from './headers/forwarding.js'
import { identityCheckFor } from './headers/strip.js'
import { JWKS_PATH } from './assertion/jwks-route.js'
import { answerDeny, DEBUG_RULE_HEADER } from './http/deny.js'
import { withRequestId } from './http/error-handler.js'
import type { Metrics } from './metrics.js'
import type { Runtime } from './runtime.js'

/** Gatehouse's own paths, never proxied. */
export const isOwnPath = (path: string): boolean =>
  path.startsWith('/oauth2/') || path === '/ping' || path === '/ready' || path === '/metrics'

/** With the assertion on, Gatehouse answers its JWKS path itself: the app's own is then out of reach. */
const servesJwks = (rt: Runtime, path: string): boolean => path === JWKS_PATH && rt.config.assertion !== undefined

export interface Upstream {
  middleware: (ctx: Context, next: Next) => Promise<void>
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
}

function prepare(rt: Runtime, req: IncomingMessage, outcome: Extract<Outcome, { result: 'allow' }>): void {
  prepareUpstreamHeaders(req.headers, {
    peer: req.socket.remoteAddress,
    trusted: rt.isTrustedPeer(req.socket.remoteAddress),
    publicUrl: rt.config.server.publicUrl,
    isIdentityHeader: identityCheckFor(rt.config.headers),
    identity: outcome.headers,
  })
}

const DENY_SHAPE = { redirectBrowsers: true, locationOn401: false, refusedStatus: 400 } as const

/** The raw status line for a denied upgrade. */
const UPGRADE_STATUS = { refused: '400 Bad Request', forbidden: '403 Forbidden', unauthenticated: '401 Unauthorized' } as const

/**
 * http-proxy-3 (CommonJS) is loaded only in upstream mode: with what it requires it adds about 4 MB of idle RSS
 * to a process that never proxies (README "Start-up and memory").
 */
const load = createRequire(import.meta.url)

export function createUpstream(getRuntime: () => Runtime, metrics: Metrics, logger: Logger): Upstream {
  const { createProxyServer } = load('http-proxy-3') as typeof import('http-proxy-3')
  // xfwd off: it appends to the client's X-Forwarded-*; forwarding.ts sets true ones instead.
  const proxy = createProxyServer({ xfwd: false, ws: true, changeOrigin: false, proxyTimeout: 60_000 })
  // Connection is hop-by-hop (RFC 9110, 7.6.1): the app's keep-alive is about its connection to us, not the
  // client's. A drain's `Connection: close` (src/http/drain.ts) must reach the client, or the client reuses a
  // connection we are about to close.
  proxy.on('proxyRes', (proxyRes: IncomingMessage, _req: IncomingMessage, res: ServerResponse) => {
    if (res.getHeader('connection') === 'close') proxyRes.headers.connection = 'close'
  })
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
      const rt = getRuntime()
      if (isOwnPath(ctx.path) || servesJwks(rt, ctx.path)) return next()
      const started = performance.now()
      const target = rt.config.upstream!
      let outcome: Outcome
      try {
        const pending = decide(rt, accessRequest(ctx.req, 'upstream'))
        outcome = pending instanceof Promise ? await pending : pending
      } catch (err) {
        // The error handler answers with this id, so the answer, its error line and the access line agree.
        const requestId = randomUUID()
        countFailure(metrics, 'upstream', started, requestId)
        throw withRequestId(err, requestId)
      }
      countDecision(metrics, 'upstream', outcome, started, ctx.req.headers)
      if (outcome.result === 'allow') {
        prepare(rt, ctx.req, outcome)
        ctx.respond = false
        proxy.web(ctx.req, ctx.res, { target: target.href })
        return
      }
      answerDeny(ctx, rt, outcome, DENY_SHAPE)
    },
    upgrade(req, socket, head) {
      const rt = getRuntime()
      const refuse = (status: string, rule?: string, requestId?: string) => {
        const debug = rule && rt.config.server.debugRuleHeader ? `${DEBUG_RULE_HEADER}: ${rule}\r\n` : ''
        const id = requestId ? `X-Request-Id: ${requestId}\r\n` : ''
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n${debug}${id}Content-Length: 0\r\n\r\n`)
      }
      let path = '/'
      try {
        path = new URL(req.url ?? '/', 'http://x').pathname
      } catch {
        return refuse('400 Bad Request')
      }
      if (isOwnPath(path) || servesJwks(rt, path)) return refuse('404 Not Found')
      const started = performance.now()
      new Promise<Outcome>((resolve) => resolve(decide(rt, accessRequest(req, 'upstream')))).then(
        (outcome) => {
          countDecision(metrics, 'upstream', outcome, started, req.headers)
          if (outcome.result === 'allow') {
            prepare(rt, req, outcome)
            proxy.ws(req, socket, head, { target: rt.config.upstream!.href })
          } else refuse(UPGRADE_STATUS[outcome.result], outcome.rule)
        },
        (err: Error) => {
          const requestId = randomUUID()
          countFailure(metrics, 'upstream', started, requestId)
          logger.error({ requestId, err: { message: err.message } }, 'upgrade decision failed')
          refuse('500 Internal Server Error', undefined, requestId)
        },
      )
    },
  }
}
