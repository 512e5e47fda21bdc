/**
 * The protected upstream: shows the identity headers it receives (HTML for browsers, JSON under /api/) and echoes
 * WebSocket messages on /ws. The WebSocket side is a minimal RFC 6455 server written with node:crypto (text,
 * ping and close frames; no extensions), since the `ws` package is not a dependency.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export const IDENTITY_HEADERS = [
  'x-auth-request-user',
  'x-auth-request-email',
  'x-auth-request-groups',
  'x-auth-request-preferred-username',
] as const

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  /** Names and values exactly as received (repeats and `_` spellings kept apart). */
  rawHeaders: string[]
  websocket: boolean
}

export interface EchoApp {
  port: number
  /** Every request that reached the app, oldest first. */
  seen: SeenRequest[]
  /** Requests that carried an `X-Probe` header, by its value (the differential tests tag each request). */
  byProbe: Map<string, SeenRequest>
  close(): Promise<void>
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function identityOf(headers: IncomingMessage['headers']) {
  const h = (name: string) => {
    const v = headers[name]
    return Array.isArray(v) ? v.join(', ') : (v ?? null)
  }
  return {
    user: h('x-auth-request-user'),
    email: h('x-auth-request-email'),
    groups: h('x-auth-request-groups'),
    preferredUsername: h('x-auth-request-preferred-username'),
  }
}

function page(req: IncomingMessage): string {
  const id = identityOf(req.headers)
  const isPublic = (req.url ?? '').startsWith('/public')
  const rows = Object.entries(req.headers)
    .map(([k, v]) => {
      const value = Array.isArray(v) ? v.join(', ') : String(v ?? '')
      // sealed cookies are long; the page is for people, the full values are in `seen`
      const shown = value.length > 160 ? `${value.slice(0, 160)}… (${value.length} chars)` : value
      return `${esc(k)}: ${esc(shown)}`
    })
    .join('\n')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${isPublic ? 'Public page' : 'Echo app'}</title>
<style>body{font-family:sans-serif;margin:2em}dt{font-weight:bold}dd{margin:0 0 .5em 1em;font-family:monospace}
pre{background:#f4f4f4;padding:1em;font-size:12px;white-space:pre-wrap;word-break:break-all}</style></head>
<body>
<h1 id="title">${isPublic ? 'Public page' : 'Echo app'}</h1>
<p>Request: <code id="request">${esc(req.method)} ${esc(req.url)}</code></p>
<dl id="identity">
<dt>User</dt><dd id="user">${esc(id.user)}</dd>
<dt>Email</dt><dd id="email">${esc(id.email)}</dd>
<dt>Groups</dt><dd id="groups">${esc(id.groups)}</dd>
<dt>Preferred username</dt><dd id="preferred-username">${esc(id.preferredUsername)}</dd>
</dl>
<h2>All request headers</h2>
<pre id="headers">${rows}</pre>
</body></html>`
}

/** One unmasked server frame. */
function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length
  let header: Buffer
  if (len < 126) {
    header = Buffer.from([0x80 | opcode, len])
  } else if (len < 65536) {
    header = Buffer.alloc(4)
    header[0] = 0x80 | opcode
    header[1] = 126
    header.writeUInt16BE(len, 2)
  } else {
    header = Buffer.alloc(10)
    header[0] = 0x80 | opcode
    header[1] = 127
    header.writeBigUInt64BE(BigInt(len), 2)
  }
  return Buffer.concat([header, payload])
}

function acceptWebSocket(req: IncomingMessage, socket: Socket, head: Buffer): void {
  const key = req.headers['sec-websocket-key']
  if (typeof key !== 'string' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    return
  }
  const accept = createHash('sha1').update(key + WS_GUID).digest('base64')
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  )
  socket.setNoDelay(true)
  const id = identityOf(req.headers)
  socket.write(frame(0x1, Buffer.from(`hello ${id.preferredUsername ?? ''} <${id.email ?? ''}>`)))

  let buf = head.length ? Buffer.from(head) : Buffer.alloc(0)
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk])
    for (;;) {
      if (buf.length < 2) return
      const opcode = buf[0]! & 0x0f
      const masked = (buf[1]! & 0x80) !== 0
      let len = buf[1]! & 0x7f
      let off = 2
      if (len === 126) {
        if (buf.length < 4) return
        len = buf.readUInt16BE(2)
        off = 4
      } else if (len === 127) {
        if (buf.length < 10) return
        len = Number(buf.readBigUInt64BE(2))
        off = 10
      }
      const maskLen = masked ? 4 : 0
      if (buf.length < off + maskLen + len) return
      const mask = masked ? buf.subarray(off, off + 4) : undefined
      const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len))
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!
      buf = buf.subarray(off + maskLen + len)
      if (opcode === 0x1) socket.write(frame(0x1, Buffer.from(`echo:${payload.toString('utf8')}`)))
      else if (opcode === 0x9) socket.write(frame(0xa, payload))
      else if (opcode === 0x8) {
        socket.end(frame(0x8, payload.subarray(0, 2)))
        return
      }
    }
  }
  socket.on('data', onData)
  socket.on('error', () => socket.destroy())
}

export async function startEchoApp(host = '127.0.0.1'): Promise<EchoApp> {
  const seen: SeenRequest[] = []
  const byProbe = new Map<string, SeenRequest>()
  const record = (req: IncomingMessage, websocket: boolean) => {
    const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, websocket }
    seen.push(r)
    const probe = req.headers['x-probe']
    if (typeof probe === 'string') byProbe.set(probe, r)
  }
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    record(req, false)
    const url = req.url ?? '/'
    res.setHeader('Cache-Control', 'no-store')
    if (url.startsWith('/api/')) {
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify({ method: req.method, url, identity: identityOf(req.headers) }))
      return
    }
    if (url === '/favicon.ico') {
      res.statusCode = 404
      res.end()
      return
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8')
    res.end(page(req))
  })
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    record(req, true)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    if (!(req.url ?? '').startsWith('/ws')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    acceptWebSocket(req, socket, head)
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    port,
    seen,
    byProbe,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
        server.closeAllConnections?.()
      }),
  }
}
