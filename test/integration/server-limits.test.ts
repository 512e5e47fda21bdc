import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { buildConfig } from '../../src/config/load.js'
import { createLogger } from '../../src/logger.js'
import { startGatehouse, type Gatehouse } from '../../src/server.js'
import { freePort, randomSecret } from '../helpers/stack.js'

const start = async (server: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const port = await freePort()
  return startGatehouse(
    await buildConfig({
      server: { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}`, ...server },
      cookie: { secret: randomSecret() },
      providers: [{ id: 'corp', type: 'keycloak', issuer: 'http://127.0.0.1:9/realms/x', clientId: 'c', clientSecret: 's', allowInsecureRequests: true }],
      authorization: {},
      logging: { level: 'silent' },
      ...extra,
    }),
    { logger: createLogger('silent') },
  )
}

const open = (url: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const u = new URL(url)
    const s = connect(Number(u.port), u.hostname, () => resolve(s))
    s.on('error', reject)
  })

/** Everything the server sends until it closes the socket, and whether it did within `withinMs`. */
const untilClosed = (s: Socket, withinMs: number): Promise<{ closed: boolean; data: string }> =>
  new Promise((resolve) => {
    let data = ''
    s.on('data', (c) => (data += c))
    const timer = setTimeout(() => resolve({ closed: false, data }), withinMs)
    s.on('close', () => {
      clearTimeout(timer)
      resolve({ closed: true, data })
    })
  })

const ping = (s: Socket): Promise<string> =>
  new Promise((resolve) => {
    let data = ''
    const on = (c: Buffer) => {
      data += c
      if (/\r\n\r\n[\s\S]*pong|\r\n\r\nOK/i.test(data) || /content-length: 0/i.test(data)) {
        s.off('data', on)
        resolve(data)
      }
    }
    s.on('data', on)
    s.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n')
  })

describe('listener limits', () => {
  let gh: Gatehouse
  beforeAll(async () => {
    gh = await start({ headersTimeout: '2s', requestTimeout: '4s', maxConnections: 4 })
  })
  afterAll(() => gh.close())

  it('cuts off a slow-headers client with 408 once headersTimeout passes', async () => {
    const s = await open(gh.url)
    s.write('GET /ping HTTP/1.1\r\nHost: x\r\n')
    const drip = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 300)
    // Generous bound: 2 s timeout + the 1 s sweep, far below the old 70-100 s.
    const { closed, data } = await untilClosed(s, 8000)
    clearInterval(drip)
    expect(closed).toBe(true)
    expect(data).toMatch(/^HTTP\/1\.1 408/)
  })

  it('keeps an idle keep-alive connection (from a proxy) past headersTimeout', async () => {
    const s = await open(gh.url)
    expect(await ping(s)).toMatch(/^HTTP\/1\.1 200/)
    await new Promise((r) => setTimeout(r, 3000))
    expect(await ping(s)).toMatch(/^HTTP\/1\.1 200/)
    s.destroy()
  })

  it('refuses connections beyond maxConnections and accepts again once one closes', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => open(gh.url)))
    for (const s of held) expect(await ping(s)).toMatch(/^HTTP\/1\.1 200/)
    const extra = await open(gh.url)
    extra.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n')
    const refused = await untilClosed(extra, 5000)
    expect(refused).toEqual({ closed: true, data: '' })
    held.pop()!.destroy()
    await new Promise((r) => setTimeout(r, 100))
    const again = await open(gh.url)
    expect(await ping(again)).toMatch(/^HTTP\/1\.1 200/)
    for (const s of [...held, again]) s.destroy()
  })
})

describe('limit settings', () => {
  it('default to 10 s / 30 s / 10000 connections', async () => {
    const gh = await start({})
    try {
      expect([gh.server.headersTimeout, gh.server.requestTimeout, gh.server.maxConnections]).toEqual([10_000, 30_000, 10_000])
    } finally {
      await gh.close()
    }
  })

  it('refuse a requestTimeout below headersTimeout, with the key path', async () => {
    await expect(start({ headersTimeout: '20s', requestTimeout: '10s' })).rejects.toThrow(/server\.requestTimeout: must be at least server\.headersTimeout/)
  })
})

describe('/metrics in upstream mode', () => {
  let app: Server
  let upstream: string
  beforeAll(async () => {
    app = createServer((_req, res) => res.end('app'))
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
    upstream = `http://127.0.0.1:${(app.address() as { port: number }).port}`
  })
  afterAll(() => new Promise<void>((r) => app.close(() => r())))

  const metricsOf = async (url: string) => {
    const res = await fetch(`${url}/metrics`)
    return { status: res.status, body: await res.text() }
  }

  it('is not served on the public port by default, nor passed to the app', async () => {
    const gh = await start({}, { upstream })
    try {
      const res = await metricsOf(gh.url)
      expect(res.status).toBe(404)
      expect(res.body).not.toMatch(/gatehouse_|^app$/)
    } finally {
      await gh.close()
    }
  })

  it('is served there when metrics.onMainListener is set, and on metrics.listen', async () => {
    const port = await freePort()
    const gh = await start({}, { upstream, metrics: { onMainListener: true, listen: `127.0.0.1:${port}` } })
    try {
      expect((await metricsOf(gh.url)).body).toMatch(/gatehouse_/)
      expect((await metricsOf(`http://127.0.0.1:${port}`)).body).toMatch(/gatehouse_/)
    } finally {
      await gh.close()
    }
  })

  it('stays on the main listener in forward-auth mode without metrics.listen', async () => {
    const gh = await start({})
    try {
      expect((await metricsOf(gh.url)).status).toBe(200)
    } finally {
      await gh.close()
    }
  })
})
