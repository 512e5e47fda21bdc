/** Loopback helpers: free ports, and HTTP(S) requests that reach 127.0.0.1 while naming another host. */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createServer } from 'node:net'

/** A port that was free a moment ago (bound on 127.0.0.1, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

export interface SimpleResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * A request for `url` sent to 127.0.0.1 (the URL's host goes into Host and SNI), no redirects followed,
 * self-signed certificates accepted. Bounded by `timeoutMs`.
 */
export function fetchLoopback(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<SimpleResponse> {
  const u = new URL(url)
  const isHttps = u.protocol === 'https:'
  const doRequest = isHttps ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = doRequest(
      {
        host: '127.0.0.1',
        port: Number(u.port || (isHttps ? 443 : 80)),
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        headers: {
          Host: u.host,
          Connection: 'close',
          ...(opts.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}),
          ...opts.headers,
        },
        servername: isHttps ? u.hostname : undefined,
        rejectUnauthorized: false,
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 5000} ms: ${url}`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}
