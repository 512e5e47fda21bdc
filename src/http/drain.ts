/**
 * Graceful shutdown of one HTTP listener. `drain` first keeps serving for `delayMs`, every answer with
 * `Connection: close`, while the balancer takes this instance out of rotation: a request it had already sent on an
 * idle keep-alive connection is answered instead of meeting a reset. Then it stops accepting connections, closes
 * idle keep-alive connections, lets the requests in flight finish with `Connection: close` (so the client opens its
 * next connection elsewhere instead of racing our close), and cuts whatever is still open when the grace period ends.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export interface Drainable {
  /** Resolves when every connection is closed: drained, or cut `graceMs` after the `delayMs` of serving on. */
  drain(graceMs: number, delayMs?: number): Promise<void>
}

export function drainable(server: Server): Drainable {
  const inFlight = new Set<ServerResponse>()
  // Every socket, upgraded (WebSocket) ones included: the HTTP server stops tracking those after the upgrade.
  const sockets = new Set<Socket>()
  // draining: answers say `Connection: close`; closing (after the delay): idle connections are closed too
  let draining = false
  let closing = false

  // One shared listener, no per-request closure.
  function settled(this: ServerResponse) {
    inFlight.delete(this)
    // An answer that still said keep-alive (a proxied upstream answer can set it) leaves an idle connection behind.
    if (closing) server.closeIdleConnections()
  }
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    // A request that arrived on an open keep-alive connection during the drain.
    if (draining) res.setHeader('connection', 'close')
    inFlight.add(res)
    res.on('close', settled)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  return {
    async drain(graceMs, delayMs = 0) {
      draining = true
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close')
      // Idle connections stay open meanwhile: closing one races a request the client may be sending on it.
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      closing = true
      return new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          server.closeAllConnections()
          for (const socket of sockets) socket.destroy()
        }, graceMs)
        // Node ≥ 19: close() also closes the idle keep-alive connections; the callback runs when none is left.
        server.close(() => {
          clearTimeout(cut)
          resolve()
        })
      })
    },
  }
}
