/** One HTTP/1.1 request written byte for byte on a socket (absolute-form targets, repeated headers). */
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  head: string
  body: string
}

export function rawRequest(url: string, requestLine: string, headers: [string, string][] = []): Promise<RawResponse> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      const lines = [['Host', u.host] as [string, string], ...headers, ['Connection', 'close'] as [string, string]]
      socket.write(`${requestLine}\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`)
    })
    let data = ''
    socket.setTimeout(5000, () => {
      socket.destroy()
      reject(new Error(`no answer to ${requestLine}`))
    })
    socket.on('data', (c) => (data += c))
    socket.on('end', () => {
      const at = data.indexOf('\r\n\r\n')
      const head = at < 0 ? data : data.slice(0, at)
      resolve({ status: Number(head.split(' ')[1]), head, body: at < 0 ? '' : data.slice(at + 4) })
    })
    socket.on('error', reject)
  })
}
