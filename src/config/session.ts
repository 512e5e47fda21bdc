/**
 * The `session:` block: where sessions live (`store`), how often they are revalidated with the IdP
 * (`refresh`) and the Redis connection used by the redis store and, in cookie mode, to share
 * revocations between replicas. README "Sessions" documents every key.
 */
import { z } from 'zod'
import { parseDuration } from './duration.js'

const refreshDuration = z
  .string()
  .default('5m')
  .refine((v) => v === '0' || parseDuration(v) !== undefined, 'must be a duration such as "5m", or "0" to turn refresh off')

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be "host:port"')

export const sessionSchema = z
  .object({
    /** `cookie`: the whole session sealed in the cookie. `redis`: the cookie holds a ticket, Redis the session. */
    store: z.enum(['cookie', 'redis']).default('cookie'),
    /** Revalidate (refresh) a session with its IdP once it is this old; "0" turns it off. */
    refresh: refreshDuration,
    redis: z
      .object({
        /** redis:// or rediss:// (TLS); user and password may be in the URL. */
        url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
        /** Overrides a password in the URL; use `${REDIS_PASSWORD}`. */
        password: z.string().optional(),
        /** Sentinel addresses ("host:port"), with `masterName`, instead of url. */
        sentinels: z.array(hostPort).default([]),
        masterName: z.string().min(1).optional(),
        /** Redis Cluster seed nodes ("host:port"), instead of url. */
        cluster: z.array(hostPort).default([]),
        /** TLS for sentinels and cluster nodes (a rediss:// url implies it). */
        tls: z.boolean().default(false),
        keyPrefix: z.string().default('gatehouse:'),
        /** Per-command timeout; a slower answer counts as Redis unavailable. */
        commandTimeout: z.string().default('1s').refine((v) => parseDuration(v) !== undefined, 'must be a duration such as "1s"'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.store === 'redis' && !s.redis) ctx.addIssue({ code: 'custom', path: ['redis'], message: 'store "redis" needs a redis block' })
    if (!s.redis) return
    const ways = [s.redis.url !== undefined, s.redis.sentinels.length > 0, s.redis.cluster.length > 0].filter(Boolean).length
    if (ways !== 1) ctx.addIssue({ code: 'custom', path: ['redis'], message: 'set exactly one of url, sentinels or cluster' })
    if (s.redis.sentinels.length > 0 && !s.redis.masterName) {
      ctx.addIssue({ code: 'custom', path: ['redis', 'masterName'], message: 'required with sentinels' })
    }
  })
  .default({ store: 'cookie', refresh: '5m' })

export type RawSessionConfig = z.infer<typeof sessionSchema>

export interface RedisConfig {
  url?: string
  password?: string
  sentinels: { host: string; port: number }[]
  masterName?: string
  cluster: { host: string; port: number }[]
  tls: boolean
  keyPrefix: string
  commandTimeoutMs: number
}

export interface SessionConfig {
  store: 'cookie' | 'redis'
  /** Seconds; 0 = never refresh. */
  refreshSeconds: number
  redis?: RedisConfig
}

const split = (hp: string) => {
  const at = hp.lastIndexOf(':')
  return { host: hp.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hp.slice(at + 1)) }
}

export function sessionConfig(raw: RawSessionConfig): SessionConfig {
  const r = raw.redis
  return {
    store: raw.store,
    refreshSeconds: raw.refresh === '0' ? 0 : parseDuration(raw.refresh)!,
    redis: r && {
      url: r.url,
      password: r.password,
      sentinels: r.sentinels.map(split),
      masterName: r.masterName,
      cluster: r.cluster.map(split),
      tls: r.tls,
      keyPrefix: r.keyPrefix,
      commandTimeoutMs: parseDuration(r.commandTimeout)! * 1000,
    },
  }
}
