/**
 * A minimal FastCGI responder (FastCGI 1.0: BEGIN_REQUEST, PARAMS, STDIN in; STDOUT, END_REQUEST out) standing in
 * for PHP-FPM behind Caddy. It records the CGI parameters of every request, which is where a PHP app reads
 * `$_SERVER['HTTP_X_AUTH_REQUEST_USER']`: `-` and `_` in header names map to the same variable there.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

const BEGIN_REQUEST = 1
const END_REQUEST = 3
const PARAMS = 4
const STDIN = 5
const STDOUT = 6

export interface FastcgiRequest {
  /** Every name/value pair in order; a repeated name appears twice. */
  pairs: [string, string][]
  params: Record<string, string>
}

export interface FastcgiApp {
  port: number
  seen: FastcgiRequest[]
  /** By the value of HTTP_X_PROBE. */
  byProbe: Map<string, FastcgiRequest>
  close(): Promise<void>
}

function record(type: number, id: number, content: Buffer): Buffer {
  const pad = (8 - (content.length % 8)) % 8
  const head = Buffer.from([1, type, id >> 8, id & 0xff, content.length >> 8, content.length & 0xff, pad, 0])
  return Buffer.concat([head, content, Buffer.alloc(pad)])
}

function readLength(buf: Buffer, off: number): [number, number] {
  const b = buf[off]!
  if (b < 0x80) return [b, off + 1]
  return [buf.readUInt32BE(off) & 0x7fffffff, off + 4]
}

function decodePairs(buf: Buffer): [string, string][] {
  const out: [string, string][] = []
  let off = 0
  while (off < buf.length) {
    const [nl, o1] = readLength(buf, off)
    const [vl, o2] = readLength(buf, o1)
    out.push([buf.subarray(o2, o2 + nl).toString('latin1'), buf.subarray(o2 + nl, o2 + nl + vl).toString('latin1')])
    off = o2 + nl + vl
  }
  return out
}

function serve(socket: Socket, done: (r: FastcgiRequest) => void): void {
  let buf = Buffer.alloc(0)
  const params = new Map<number, Buffer[]>()
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk])
    while (buf.length >= 8) {
      const type = buf[1]!
      const id = buf.readUInt16BE(2)
      const len = buf.readUInt16BE(4)
      const pad = buf[6]!
      if (buf.length < 8 + len + pad) return
      const content = buf.subarray(8, 8 + len)
      buf = buf.subarray(8 + len + pad)
      if (type === BEGIN_REQUEST) params.set(id, [])
      else if (type === PARAMS && len > 0) params.get(id)?.push(Buffer.from(content))
      else if (type === STDIN && len === 0) {
        const pairs = decodePairs(Buffer.concat(params.get(id) ?? []))
        const req: FastcgiRequest = { pairs, params: Object.fromEntries(pairs) }
        done(req)
        const body = JSON.stringify(req.params)
        const out = `Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
        const end = Buffer.alloc(8) // appStatus 0, FCGI_REQUEST_COMPLETE
        socket.end(Buffer.concat([record(STDOUT, id, Buffer.from(out)), record(STDOUT, id, Buffer.alloc(0)), record(END_REQUEST, id, end)]))
        return
      }
    }
  })
  socket.on('error', () => socket.destroy())
}

export async function startFastcgiApp(): Promise<FastcgiApp> {
  const seen: FastcgiRequest[] = []
  const byProbe = new Map<string, FastcgiRequest>()
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
    serve(s, (r) => {
      seen.push(r)
      const probe = r.params.HTTP_X_PROBE
      if (probe) byProbe.set(probe, r)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    byProbe,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
