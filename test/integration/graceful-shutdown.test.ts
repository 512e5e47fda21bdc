/**
 * close() on a running Gatehouse in upstream mode (what SIGTERM runs): stop accepting, close idle keep-alive
 * connections at once, answer the request in flight and then close its connection, and cut a request that outlives
 * server.shutdownGracePeriod. The upstream app is held by the test, so the order of events is forced, not timed.
 * The app answers `Connection: keep-alive` itself, which the proxy passes on: the worst case for closing.
 * (Connection: close on answers during the drain: test/unit/http/drain.test.ts.) With server.shutdownDelay it first
 * keeps serving, /ready failing, for the balancer to stop sending.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'
import { waitFor } from '../helpers/wait.js'
import { DEMO_USERS, startRealm } from '../../dev/devidp/realm.js'
import { sessionCookie } from '../helpers/session.js'

interface HeldApp {
  server: Server
  url: string
  /** Resolves when the app has received a request for `path`. */
  arrived(path: string): Promise<void>
  /** Lets the held request for `path` answer. */
  release(path: string): void
}

/** Answers /fast at once and holds every other path until released; always says keep-alive. */
function startHeldApp(): Promise<HeldApp> {
  const arrivals = new Map<string, () => void>()
  const arrivedP = new Map<string, Promise<void>>()
  const releases = new Map<string, () => void>()
  const arrived = (path: string) => {
    if (!arrivedP.has(path)) arrivedP.set(path, new Promise<void>((r) => arrivals.set(path, r)))
    return arrivedP.get(path)!
  }
  const server = createServer((req, res) => {
    res.setHeader('connection', 'keep-alive')
    if (req.url === '/fast') return void res.end('fast')
    void arrived(req.url!)
    arrivals.get(req.url!)!()
    releases.set(req.url!, () => res.end(`done ${req.url}`))
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, arrived, release: (p) => releases.get(p)!() }),
    ),
  )
}

async function start(app: HeldApp, grace: string, o: { delay?: string; issuer?: string } = {}): Promise<{ gh: Gatehouse; cookie: string; port: number }> {
  const port = await freePort()
  const gh = await startGatehouse(
    await buildConfig({
      server: { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}`, shutdownGracePeriod: grace, shutdownDelay: o.delay ?? '0s' },
      cookie: { secret: randomSecret() },
      providers: [{ id: 'corp', type: 'keycloak', issuer: o.issuer ?? 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
      authorization: {},
      upstream: app.url,
      logging: { level: 'silent' },
    }),
    { logger: createLogger('silent') },
  )
  return { gh, cookie: sessionCookie(gh.runtime()), port }
}

const get = (port: number, path: string, cookie: string, agent: Agent) =>
  new Promise<IncomingMessage & { text: string; conn: Socket }>((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, agent, headers: { cookie } }, (res) => {
      let text = ''
      const conn = res.socket
      res.setEncoding('utf8')
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve(Object.assign(res, { text, conn })))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })

const connectOutcome = (port: number) =>
  new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve('connected')
    })
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })

const closed = (socket: Socket) => new Promise<void>((r) => (socket.destroyed ? r() : socket.once('close', () => r())))

describe('graceful shutdown (close)', () => {
  let app: HeldApp | undefined
  afterEach(async () => {
    app?.server.closeAllConnections()
    await new Promise((r) => app?.server.close(r))
  })

  it('refuses new connections, closes idle keep-alive ones, answers the request in flight and closes its connection', async () => {
    app = await startHeldApp()
    const { gh, cookie, port } = await start(app, '30s')
    const idleAgent = new Agent({ keepAlive: true })
    const busyAgent = new Agent({ keepAlive: true })

    const warm = await get(port, '/fast', cookie, idleAgent)
    expect(warm.statusCode).toBe(200)
    expect(warm.headers.connection).toBe('keep-alive')
    const idleSocket = warm.conn

    const slow = get(port, '/slow', cookie, busyAgent)
    await app.arrived('/slow')

    let drained = false
    const closing = gh.close().then(() => (drained = true))

    expect(await connectOutcome(port)).toBe('ECONNREFUSED')
    await closed(idleSocket)
    expect(drained).toBe(false)

    app.release('/slow')
    const answer = await slow
    expect(answer.statusCode).toBe(200)
    expect(answer.text).toBe('done /slow')
    await closed(answer.conn)
    await closing
    expect(drained).toBe(true)
    idleAgent.destroy()
    busyAgent.destroy()
  })

  it('during server.shutdownDelay it fails /ready and keeps serving (idle keep-alive and new connections, answers say close), then drains', async () => {
    app = await startHeldApp()
    const realm = await startRealm({ users: DEMO_USERS, clients: [{ clientId: 'c', clientSecret: 's', redirectUris: ['http://127.0.0.1/cb'] }] })
    try {
      // Long enough that the requests below, sent at once, land inside it on a loaded machine; not a speed claim.
      const { gh, cookie, port } = await start(app, '30s', { delay: '4s', issuer: realm.issuer })
      const idleAgent = new Agent({ keepAlive: true })
      const warm = await get(port, '/fast', cookie, idleAgent)
      expect(warm.headers.connection).toBe('keep-alive')
      expect(await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200, 30_000)).toBe(true)

      let drained = false
      const closing = gh.close().then(() => (drained = true))
      // A balancer that had already picked the idle connection is answered on it, not reset.
      const onIdle = await get(port, '/fast', cookie, idleAgent)
      expect(onIdle.statusCode).toBe(200)
      expect(onIdle.conn).toBe(warm.conn)
      expect(onIdle.headers.connection).toBe('close')
      // New connections are still accepted, and readiness tells the balancer to stop sending.
      const ready = await fetch(`http://127.0.0.1:${port}/ready`)
      expect(ready.status).toBe(503)
      expect(ready.headers.get('connection')).toBe('close')
      expect(drained).toBe(false)
      await closing
      expect(await connectOutcome(port)).toBe('ECONNREFUSED')
      idleAgent.destroy()
    } finally {
      await realm.close()
    }
  })

  it('cuts a request that outlives the grace period, and close() still resolves', async () => {
    app = await startHeldApp()
    const { gh, cookie, port } = await start(app, '300ms')
    const agent = new Agent({ keepAlive: true })
    const stuck = get(port, '/never', cookie, agent).then(
      (res) => `answered ${res.statusCode}`,
      (err: NodeJS.ErrnoException) => err.code ?? err.message,
    )
    await app.arrived('/never')
    await gh.close()
    expect(await stuck).toBe('ECONNRESET')
    agent.destroy()
  })
})
