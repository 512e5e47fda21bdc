/**
 * Everything built from one config version: providers, cookie codecs, compiled checks. A reload
 * builds a new Runtime and swaps it in one assignment; requests keep the one they started with.
 * Caches and metrics outlive runtimes (they are passed in).
 */
import cluster from 'node:cluster'
import type { Logger } from 'pino'
import type { Config } from './config/load.js'
import type { Metrics } from './metrics.js'
import type { Provider } from './plugin.js'
import { allOf, compileRequirement, type Check } from './access/authorize.js'
import { createQueryChecks } from './access/query-cache.js'
import { compileRules, type RuleSet } from './rules/match.js'
import { createRedirectValidator, type RedirectValidator } from './request/redirect.js'
import { createTrustedProxyCheck, type PeerCheck } from './request/trusted-proxies.js'
import { createSessionCookies, type ActiveSession, type SessionCookies } from './session/session.js'
import { createStateCookies, type StateCookies } from './session/state.js'
import { createSessionLifecycle } from './session/lifecycle.js'
import type { SessionShared } from './session/shared.js'
import type { RedisConnection } from './session/redis.js'
import { createRedisStore } from './session/store-redis.js'
import { createRedisLocks } from './session/redis-lock.js'
import { clusterLocks } from './session/cluster-lock.js'
import type { CredentialCache } from './tokens/cache.js'
import { stableKey, type CarryOver } from './carry-over.js'
import { createBearerVerifier, type BearerEntry, type BearerVerifier } from './tokens/bearer.js'

export interface Runtime {
  config: Config
  providers: ReadonlyMap<string, Provider>
  /** Config + provider authorization, per provider id. */
  loginChecks: ReadonlyMap<string, Check>
  queryChecks: (querystring: string) => Check
  /** `rules:` compiled for this config version. */
  rules: RuleSet
  sessions: SessionCookies
  /** `Authorization: Bearer` tokens: providers' verifyBearer and `extraIssuers`, cached. */
  bearer: BearerVerifier
  states: StateCookies
  validateRedirect: RedirectValidator
  isTrustedPeer: PeerCheck
  callbackUrl: string
  /** `http` or `https`, for forwarded URLs that lack a scheme. */
  defaultScheme: string
}

export interface SharedServices {
  logger: Logger
  metrics: Metrics
  sessionCache: CredentialCache<ActiveSession>
  bearerCache: CredentialCache<BearerEntry>
  /** Revocations, refreshed sessions and refreshes in flight (src/session/shared.ts). */
  sessionShared: SessionShared
  /** The Redis connection, when `session.redis` is configured (store, refresh locks, events between replicas). */
  redis?: RedisConnection
  /** Discovery results and key sets kept across reloads for unchanged settings. */
  carryOver: CarryOver
}

/** A build that throws keeps the carried-over state as it was; one that returns is swapped in at once. */
export function createRuntime(config: Config, shared: SharedServices): Runtime {
  const carry = shared.carryOver.begin()
  const callbackUrl = new URL('/oauth2/callback', config.server.publicUrl).href
  const providers = new Map<string, Provider>()
  const global = compileRequirement(config.authorization)
  const loginChecks = new Map<string, Check>()
  for (const p of config.providers) {
    providers.set(
      p.id,
      p.definition.create(p.id, p.options, {
        logger: shared.logger.child({ provider: p.id }),
        metrics: shared.metrics,
        clockSkewSeconds: 30,
        reuse: (settings, make) => carry.take(`provider\0${p.id}\0${p.definition.type}\0${stableKey(settings)}`, make),
      }),
    )
    loginChecks.set(p.id, allOf([global, compileRequirement(p.authorization)]))
  }
  for (const e of config.extraIssuers) loginChecks.set(e.id, allOf([global, compileRequirement(e.authorization)]))
  const runtime: Runtime = {
    config,
    providers,
    loginChecks,
    queryChecks: createQueryChecks(),
    rules: compileRules(config.rules, config.providers),
    sessions: createSessionCookies(
      config,
      shared.sessionCache,
      createSessionLifecycle({
        config,
        shared: shared.sessionShared,
        store: config.session.store === 'redis' && shared.redis ? createRedisStore(shared.redis, config) : undefined,
        // Without Redis, workers of one host still refresh a session one at a time (through the primary).
        locks: shared.redis ? createRedisLocks(shared.redis) : cluster.isWorker ? clusterLocks() : undefined,
        providers,
        metrics: shared.metrics,
        logger: shared.logger.child({ component: 'sessions' }),
      }),
    ),
    bearer: createBearerVerifier({
      providers: providers.values(),
      extraIssuers: config.extraIssuers,
      reuse: (settings, make) => carry.take(`issuer\0${stableKey(settings)}`, make),
      cache: shared.bearerCache,
      metrics: shared.metrics,
      logger: shared.logger.child({ component: 'bearer' }),
    }),
    states: createStateCookies(config),
    validateRedirect: createRedirectValidator(config.redirect.allowedDomains, config.server.publicUrl),
    isTrustedPeer: createTrustedProxyCheck(config.server.trustedProxies),
    callbackUrl,
    defaultScheme: config.server.publicUrl.protocol.slice(0, -1),
  }
  carry.commit()
  return runtime
}

/** Per runtime, the sign-in URL without `rd` (it never has a query: the path replaces the public URL's). */
const signInBases = new WeakMap<Runtime, string>()

/** `URLSearchParams`' encoding of a value (application/x-www-form-urlencoded), without building a URL. */
export function formEncode(s: string): string {
  try {
    return encodeURIComponent(s).replace(/[!'()~]|%20/g, (c) => (c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
  } catch {
    return new URLSearchParams({ v: s }).toString().slice(2) // a lone surrogate, which encodeURIComponent refuses
  }
}

/** Where to send a browser that needs to log in: straight to the only provider, else the picker. */
export function signInUrl(rt: Runtime, rd: string | undefined): string {
  let base = signInBases.get(rt)
  if (base === undefined) {
    base = new URL(rt.providers.size === 1 ? '/oauth2/start' : '/oauth2/sign_in', rt.config.server.publicUrl).href
    signInBases.set(rt, base)
  }
  return rd ? `${base}?rd=${formEncode(rd)}` : base
}
