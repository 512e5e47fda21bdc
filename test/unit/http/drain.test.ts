/**
 * drainable(): answers during the drain say `Connection: close` (a request in flight when the drain starts, and one
 * that arrives on an already open keep-alive connection), so the client does not reuse a connection we close. The
 * handler is held by the test; the order of events is forced, never timed.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import { drainable, type Drainable } from '../../../src/http/drain.js'

interface Held {
  server: Server
  drainer: Drainable
  port: number
  /** The next request the handler receives (held until the test answers it). */
  next(): Promise<ServerResponse>
}

function startHeld(): Promise<Held> {
  const waiting: ((res: ServerResponse) => void)[] = []
  const queued: ServerResponse[] = []
  const server = createServer((_req, res) => {
    const w = waiting.shift()
    if (w) w(res)
    else queued.push(res)
  })
  const drainer = drainable(server)
  const next = () => new Promise<ServerResponse>((resolve) => (queued.length ? resolve(queued.shift()!) : waiting.push(resolve)))
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, drainer, next, port: (server.address() as { port: number }).port })),
  )
}

const get = (port: number, agent: Agent) =>
  new Promise<{ res: IncomingMessage; conn: Socket }>((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      const conn = res.socket
      res.resume()
      res.on('end', () => resolve({ res, conn }))
    })
      .on('error', reject)
      .end()
  })

const closed = (socket: Socket) => new Promise<void>((r) => (socket.destroyed ? r() : socket.once('close', () => r())))

describe('drainable', () => {
  let held: Held | undefined
  afterEach(() => {
    held?.server.closeAllConnections()
    held?.server.close()
  })

  it('keeps connections alive before the drain, then answers the request in flight with Connection: close', async () => {
    held = await startHeld()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const before = get(held.port, agent)
    ;(await held.next()).end('a')
    const first = await before
    expect(first.res.headers.connection).toBe('keep-alive')

    const during = get(held.port, agent)
    const res = await held.next()
    const drained = held.drainer.drain(60_000)
    res.end('b')
    const second = await during
    expect(second.res.headers.connection).toBe('close')
    expect(second.conn).toBe(first.conn)
    await closed(second.conn)
    await drained
    agent.destroy()
  })

  it('says Connection: close to a request that arrives during the drain on a connection still busy', async () => {
    held = await startHeld()
    const socket = connect(held.port, '127.0.0.1').resume()
    const request = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
    socket.write(request)
    const first = await held.next()
    const drained = held.drainer.drain(60_000)
    // Busy connections stay open during the drain, so a client may still send (pipeline) its next request on one.
    socket.write(request)
    const second = await held.next()
    expect(second.getHeader('connection')).toBe('close')
    expect(first.getHeader('connection')).toBe('close')
    first.end()
    second.end()
    await closed(socket)
    await drained
  })

  it('closes idle keep-alive connections at once and resolves when the last busy one is answered', async () => {
    held = await startHeld()
    const idleAgent = new Agent({ keepAlive: true })
    const busyAgent = new Agent({ keepAlive: true })
    const warm = get(held.port, idleAgent)
    ;(await held.next()).end()
    const idle = (await warm).conn
    const busy = get(held.port, busyAgent)
    const res = await held.next()
    let done = false
    const drained = held.drainer.drain(60_000).then(() => (done = true))
    await closed(idle)
    expect(done).toBe(false)
    res.end()
    await busy
    await drained
    expect(done).toBe(true)
    idleAgent.destroy()
    busyAgent.destroy()
  })
})
