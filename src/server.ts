/**
 * Wires a config into running listeners: shared caches and metrics, the current Runtime, the
 * Koa app, the optional metrics listener and upstream WebSocket handling. `reload` swaps the
 * Runtime atomically; in-flight requests finish with the one they started with.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { createApp } from './app.js'
import { fastPath } from './routes/verify.js'
import type { Config } from './config/load.js'
import { createLogger } from './logger.js'
import { createAccessLog } from './access-log.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createRuntime, type Runtime, type SharedServices } from './runtime.js'
import { createCarryOver } from './carry-over.js'
import type { ActiveSession } from './session/session.js'
import { createSessionShared } from './session/shared.js'
import { createRedisConnection } from './session/redis.js'
import { createCredentialCache } from './tokens/cache.js'
import { drainable } from './http/drain.js'
import type { BearerEntry } from './tokens/bearer.js'

export interface Gatehouse {
  server: Server
  metricsServer?: Server
  /** http://host:port of the main listener. */
  url: string
  metrics: Metrics
  logger: Logger
  runtime(): Runtime
  reload(config: Config): void
  /**
   * Graceful: /ready fails and every answer says `Connection: close` at once; after server.shutdownDelay it stops
   * accepting, closes idle connections, answers what is in flight, and cuts the rest after server.shutdownGracePeriod.
   */
  close(): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  metrics?: Metrics
}

export function createServices(config: Config, options: StartOptions = {}): SharedServices {
  const logger = options.logger ?? createLogger(config.logging.level, { format: config.logging.format })
  const metrics = options.metrics ?? createMetrics()
  if (config.logging.accessLog) metrics.onDecision(createAccessLog(logger, { email: config.logging.accessLogEmail }))
  const sessionCache = createCredentialCache<ActiveSession>({
    name: 'session',
    maxEntries: config.cache.maxEntries,
    maxTtlSeconds: config.cache.maxTtlSeconds,
    metrics,
  })
  const bearerCache = createCredentialCache<BearerEntry>({
    name: 'bearer',
    maxEntries: config.cache.bearerMaxEntries,
    maxTtlSeconds: config.cache.maxTtlSeconds,
    metrics,
    negativeTtlMs: config.cache.negativeTtlSeconds * 1000,
  })
  const sessionShared = createSessionShared(config.cache.maxEntries, logger)
  const redis = config.session.redis && createRedisConnection(config.session.redis, metrics, logger, sessionShared.bus)
  return { logger, metrics, sessionCache, bearerCache, sessionShared, redis, carryOver: createCarryOver() }
}

/** Builds the app without listening (for supertest). */
export function buildGatehouse(config: Config, options: StartOptions = {}) {
  const shared = createServices(config, options)
  // Set by close(): /ready answers 503 from then on, so a balancer stops sending here while the drain waits.
  let stopping = false
  const notStopping = async () => {
    if (stopping) throw new Error('shutting down')
  }
  let runtime = createRuntime(config, shared)
  const getRuntime = () => runtime
  const app = createApp({
    getRuntime,
    metrics: shared.metrics,
    logger: shared.logger,
    serveMetrics: config.metricsOnMainListener,
    readinessChecks: shared.redis ? [notStopping, shared.redis.ping] : [notStopping],
  })
  // The request pipeline: the verify fast path answers verify requests, everything else is Koa's.
  const handler = fastPath(getRuntime, shared.metrics, app.koa.callback())
  const warmUp = (rt: Runtime) => {
    for (const p of rt.providers.values()) {
      p.ready().catch((err: Error) => shared.logger.warn({ provider: p.id, err: { message: err.message } }, 'provider not ready yet'))
    }
  }
  warmUp(runtime)
  return {
    ...app,
    handler,
    shared,
    getRuntime,
    reload(next: Config) {
      const fresh = createRuntime(next, shared)
      warmUp(fresh)
      runtime = fresh
    },
    markStopping() {
      stopping = true
    },
  }
}

/**
 * Edge limits: a client gets `headersTimeout` for its headers and `requestTimeout` for the whole
 * request (Node checks both every `connectionsCheckingInterval`), so a slow-headers client holds a
 * connection for seconds, not minutes; `maxConnections` caps open sockets per process.
 */
export function applyListenerLimits(server: Server, config: Config): void {
  server.keepAliveTimeout = config.server.keepAliveTimeoutMs
  server.headersTimeout = config.server.headersTimeoutMs
  server.requestTimeout = config.server.requestTimeoutMs
  // Node's default sweep (30 s) would add up to 30 s to either timeout; set before listen, read then.
  // (a createServer option in @types/node; Node reads the property when listening starts).
  ;(server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(1000, config.server.headersTimeoutMs)
  if (config.server.maxConnections > 0) server.maxConnections = config.server.maxConnections
}

const listen = (server: Server, host: string, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })

export async function startGatehouse(config: Config, options: StartOptions = {}): Promise<Gatehouse> {
  const built = buildGatehouse(config, options)
  const { logger, metrics } = built.shared
  const server = createServer(built.handler)
  applyListenerLimits(server, config)
  // Only upstream mode listens for upgrades; otherwise Node treats them as ordinary checks.
  if (built.upstream) server.on('upgrade', built.upstream.upgrade)
  await listen(server, config.server.host, config.server.port)
  const drains = [drainable(server)]

  let metricsServer: Server | undefined
  if (config.metrics) {
    metricsServer = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end()
        return
      }
      metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        () => res.writeHead(500).end(),
      )
    })
    await listen(metricsServer, config.metrics.host, config.metrics.port)
    drains.push(drainable(metricsServer))
  }
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  logger.info({ url, publicUrl: config.server.publicUrl.href, providers: config.providers.map((p) => p.id) }, 'listening')
  return {
    server,
    metricsServer,
    url,
    metrics,
    logger,
    runtime: built.getRuntime,
    reload: built.reload,
    async close() {
      built.markStopping()
      const { shutdownDelayMs, shutdownGraceMs } = built.getRuntime().config.server
      await Promise.all(drains.map((d) => d.drain(shutdownGraceMs, shutdownDelayMs)))
      await built.shared.redis?.close()
    },
  }
}
