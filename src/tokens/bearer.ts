/**
 * `Authorization: Bearer` credentials: asks each provider's `verifyBearer`, then each extra
 * issuer, and keeps the first identity vouched for in the shared `bearer` cache (SHA-256 of the
 * token, TTL capped by its expiry, concurrent misses coalesced). A cached token answers
 * synchronously. Rejection reasons are logged, never returned to the client.
 */
import type { Logger } from 'pino'
import type { ExtraIssuerConfig } from '../config/load.js'
import type { Metrics } from '../metrics.js'
import { NotResponsible, type Identity, type Provider } from '../plugin.js'
import { createJwtBearer, type BearerVerify } from './jwt-bearer.js'
import { mapIssuerClaims } from './issuer-claims.js'
import { hashCredential, type CredentialCache, type Verified } from './cache.js'
import { slimIdentity } from '../session/slim.js'
import { createJwks, discoverJwksUri } from './jwks.js'
import { createLogLimiter } from './log-limit.js'
import { InvalidTokenError } from './jwt.js'

/** A verified token's identity; decide.ts builds the headers (memoised per identity, src/headers/mapping.ts). */
export interface BearerEntry {
  identity: Identity
}

export type BearerVerdict = BearerEntry | 'invalid' | 'forbidden'

export interface BearerVerifier {
  /** False when nothing in this config accepts bearer tokens (the header is then the app's own business). */
  readonly active: boolean
  /** A cached entry synchronously, else a promise of the verdict. IdP outages reject (→ 502). */
  check(token: string): BearerEntry | Promise<BearerVerdict>
}

interface Source {
  id: string
  verify: BearerVerify
}

export interface BearerVerifierOptions {
  providers: Iterable<Provider>
  extraIssuers: readonly ExtraIssuerConfig[]
  cache: CredentialCache<BearerEntry>
  metrics: Metrics
  logger: Logger
  /** The key set made under equal settings before a reload, else `make()`'s (src/carry-over.ts). */
  reuse?: <T>(settings: unknown, make: () => T) => T
  timeoutMs?: number
}

/** Refused-token log lines: at most this many per interval, then one summary line. */
const LOG_LINES_PER_INTERVAL = 20
const LOG_INTERVAL_MS = 10_000

/** Keys are scoped per config version, so a reload that tightens bearer rules is not bypassed by old entries. */
let generation = 0

type Reuse = NonNullable<BearerVerifierOptions['reuse']>
const fresh: Reuse = (_settings, make) => make()

export function extraIssuerSource(e: ExtraIssuerConfig, metrics: Metrics, timeoutMs: number, reuse: Reuse = fresh): Source {
  const keySettings = { id: e.id, issuer: e.issuer, jwksUrl: e.jwksUrl, cooldown: e.jwksCooldownSeconds, algorithms: e.algorithms, timeoutMs }
  const jwks = reuse(keySettings, () => createJwks({
    provider: e.id,
    uri: async () =>
      e.jwksUrl
        ? new URL(e.jwksUrl)
        : discoverJwksUri(e.issuer, timeoutMs, (result, seconds) => metrics.idpRequest(e.id, 'discovery', result, seconds)),
    metrics,
    cooldownMs: e.jwksCooldownSeconds * 1000,
    timeoutMs,
  }))
  const rules = {
    issuers: [e.issuer],
    audiences: e.audiences,
    authorizedParties: e.authorizedParties,
    typ: e.typ,
    algorithms: e.algorithms,
    clockSkewSeconds: e.clockSkewSeconds,
    refuseIdTokens: true,
  }
  return { id: e.id, verify: createJwtBearer(rules, jwks, (claims) => mapIssuerClaims(e.id, claims, e)) }
}

const statusOf = (err: unknown) => (err as { status?: unknown }).status

export function createBearerVerifier(options: BearerVerifierOptions): BearerVerifier {
  const { cache, logger } = options
  const sources: Source[] = []
  for (const p of options.providers) if (p.verifyBearer) sources.push({ id: p.id, verify: p.verifyBearer.bind(p) })
  for (const e of options.extraIssuers) sources.push(extraIssuerSource(e, options.metrics, options.timeoutMs ?? 5000, options.reuse))
  const prefix = `${++generation}:`

  const limit = createLogLimiter({
    max: LOG_LINES_PER_INTERVAL,
    intervalMs: LOG_INTERVAL_MS,
    summary: (suppressed) => logger.info({ suppressed, intervalSeconds: LOG_INTERVAL_MS / 1000 }, 'more bearer tokens refused (log lines left out)'),
  })
  const rejected = (key: string, source: string, reason: string) => {
    limit(() => logger.info({ provider: source, reason, token: key.slice(-12) }, 'bearer token rejected'))
  }

  const verify = async (key: string, token: string): Promise<Verified<BearerEntry> | undefined> => {
    for (const source of sources) {
      let identity: Identity | typeof NotResponsible
      try {
        identity = await source.verify(token)
      } catch (err) {
        const status = statusOf(err)
        if (err instanceof InvalidTokenError || status === 401) rejected(key, source.id, (err as Error).message)
        else if (status === 403) limit(() => logger.info({ provider: source.id, reason: (err as Error).message }, 'bearer token refused'))
        // Transient rejections (a new kid in the JWKS cooldown), refusals and IdP failures are never remembered.
        if ((err instanceof InvalidTokenError && !err.transient) || status === 401) return undefined
        throw err
      }
      if (identity === NotResponsible) continue
      return { value: { identity: slimIdentity(identity) }, expiresAt: identity.expiresAt }
    }
    rejected(key, 'none', 'no provider or issuer accepts this token')
    return undefined
  }

  return {
    active: sources.length > 0,
    check(token) {
      const key = prefix + hashCredential(token)
      const hit = cache.peek(key)
      if (hit !== undefined) return hit
      return cache.resolve(key, () => verify(key, token)).then(
        (entry): BearerVerdict => entry ?? 'invalid',
        (err: unknown): BearerVerdict => {
          if (err instanceof InvalidTokenError) return 'invalid'
          if (statusOf(err) === 403) return 'forbidden'
          throw err
        },
      )
    },
  }
}
