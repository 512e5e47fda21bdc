/**
 * The Redis connection behind `session:` — standalone (redis:// or rediss://), Sentinel or
 * Cluster, via ioredis. Commands never queue while Redis is away (they fail at once, and the
 * caller answers 401/503); ioredis reconnects in the background. A second connection carries
 * pub/sub for session events between replicas (src/session/bus.ts).
 */
import { createRequire } from 'node:module'
import type { Cluster, ClusterNode, Redis, RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import type { RedisConfig } from '../config/session.js'
import { SessionStoreError } from '../errors.js'
import type { Metrics } from '../metrics.js'
import type { StoreOperation } from '../metrics-sessions.js'
import type { SessionBus } from './bus.js'

export type RedisClient = Redis | Cluster

export interface RedisConnection {
  client: RedisClient
  prefix: string
  /** Runs one command, timed and counted; any failure becomes a SessionStoreError. */
  run<T>(operation: StoreOperation, fn: (client: RedisClient) => Promise<T>): Promise<T>
  /** Resolves when Redis answers PING (readiness). */
  ping(): Promise<void>
  close(): Promise<void>
}

const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000)

// Loaded on first use: ioredis adds ~20 MB to the RSS of a process that has no Redis configured (issue 15).
const ioredis = () => createRequire(import.meta.url)('ioredis') as typeof import('ioredis')

function connect(c: RedisConfig, logger: Logger): RedisClient {
  const { Cluster, Redis } = ioredis()
  const common: RedisOptions = {
    password: c.password,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: c.commandTimeoutMs,
    connectTimeout: Math.max(c.commandTimeoutMs, 2000),
    retryStrategy,
    ...(c.tls ? { tls: {} } : {}),
  }
  let client: RedisClient
  if (c.cluster.length) {
    client = new Cluster(c.cluster as ClusterNode[], {
      redisOptions: common,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      slotsRefreshTimeout: Math.max(c.commandTimeoutMs, 2000),
    })
  } else if (c.sentinels.length) {
    client = new Redis({ ...common, sentinels: c.sentinels, name: c.masterName, sentinelPassword: c.password })
  } else {
    const opts: RedisOptions = { ...common }
    if (c.password === undefined) delete opts.password
    client = new Redis(c.url!, opts)
  }
  let down = false
  client.on('error', (err: Error) => {
    if (!down) logger.warn({ err: { message: err.message } }, 'redis unavailable')
    down = true
  })
  client.on('ready', () => {
    if (down) logger.info('redis available again')
    down = false
  })
  return client
}

export function createRedisConnection(c: RedisConfig, metrics: Metrics, logger: Logger, bus: SessionBus): RedisConnection {
  const log = logger.child({ component: 'redis' })
  const client = connect(c, log)
  const channel = `${c.keyPrefix}events`
  const subscriber: RedisClient = c.cluster.length ? (client as Cluster).duplicate() : (client as Redis).duplicate()
  subscriber.on('error', () => undefined)
  const deliver = bus.attach({
    send: (message) => {
      client.publish(channel, message).catch(() => metrics.storeOperation('write', 'error', 0))
    },
  })
  subscriber.on('message', (ch: string, message: string) => {
    if (ch === channel) deliver(message)
  })
  // Subscribes on every (re)connect: commands are not queued while disconnected.
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).catch(() => undefined)
  })

  const run = async <T>(operation: StoreOperation, fn: (client: RedisClient) => Promise<T>): Promise<T> => {
    const started = performance.now()
    try {
      const value = await fn(client)
      metrics.storeOperation(operation, 'success', (performance.now() - started) / 1000)
      return value
    } catch (err) {
      metrics.storeOperation(operation, 'error', (performance.now() - started) / 1000)
      throw new SessionStoreError(`redis ${operation} failed: ${(err as Error).message}`, { cause: err })
    }
  }
  return {
    client,
    prefix: c.keyPrefix,
    run,
    async ping() {
      await run('read', (r) => r.ping())
    },
    async close() {
      subscriber.disconnect()
      client.disconnect()
    },
  }
}
