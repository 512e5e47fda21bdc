/**
 * One cached remote JWKS per issuer (jose `createRemoteJWKSet`). An unknown `kid` in a bearer
 * token refetches at most once per cooldown (default 5 s; concurrent refetches are coalesced), so
 * a key rotation costs bearer clients seconds at most and a flood of random `kid`s costs one fetch
 * per cooldown. An ID token at login comes from the IdP's token endpoint, not from the client, so
 * its unknown `kid` refetches at once (`forLogin`): a rotation never fails a login. A failed fetch
 * backs off as well, since jose alone would retry on every request while the IdP is down.
 * Every real fetch is counted in `gatehouse_jwks_refresh_total{provider,result}`.
 */
import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose'
import { UpstreamIdpError } from '../errors.js'
import type { Metrics } from '../metrics.js'

export interface JwksOptions {
  /** Metrics label: the provider or extra-issuer id. */
  provider: string
  /** Where the key set lives; called once (again after a failure). */
  uri: () => Promise<URL>
  metrics: Metrics
  /** Minimum time between refetches caused by unknown `kid`s in bearer tokens. */
  cooldownMs: number
  timeoutMs: number
  /** How long a key set is used without refetching (jose's default, 10 min). */
  maxAgeMs?: number
}

/** A key lookup for bearer tokens, plus `forLogin`, which refetches an unknown `kid` without waiting. */
export type Jwks = JWTVerifyGetKey & { forLogin: JWTVerifyGetKey }

const FAILURE_BACKOFF_MS = 5_000

export function createJwks(options: JwksOptions): Jwks {
  const { provider, metrics } = options
  let lastFailure = -Infinity

  const counted = async (url: string, init: RequestInit): Promise<Response> => {
    if (Date.now() - lastFailure < Math.min(FAILURE_BACKOFF_MS, options.cooldownMs)) {
      throw new UpstreamIdpError(`${provider}: JWKS unavailable (backing off after a failed fetch)`)
    }
    try {
      const res = await fetch(url, init)
      if (res.status !== 200) {
        await res.body?.cancel()
        throw new UpstreamIdpError(`${provider}: JWKS answered HTTP ${res.status}`)
      }
      const body = await res.text()
      JSON.parse(body)
      metrics.jwksRefresh(provider, 'success')
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
    } catch (err) {
      lastFailure = Date.now()
      metrics.jwksRefresh(provider, 'error')
      if (err instanceof UpstreamIdpError || (err as Error).name === 'TimeoutError') throw err
      throw new UpstreamIdpError(`${provider}: JWKS fetch failed: ${(err as Error).message}`, { cause: err })
    }
  }

  let remote: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined
  const keySet = () =>
    (remote ??= options.uri().then(
      (url) =>
        createRemoteJWKSet(url, {
          cooldownDuration: options.cooldownMs,
          timeoutDuration: options.timeoutMs,
          cacheMaxAge: options.maxAgeMs ?? 600_000,
          [customFetch]: counted,
        }),
      (err: unknown) => {
        remote = undefined
        throw err instanceof UpstreamIdpError ? err : new UpstreamIdpError(`${provider}: no JWKS URL: ${(err as Error).message}`, { cause: err })
      },
    ))

  const getKey: JWTVerifyGetKey = async (header, token) => (await keySet())(header, token)
  const forLogin: JWTVerifyGetKey = async (header, token) => {
    const set = await keySet()
    try {
      return await set(header, token)
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err
      // Coalesced with any refetch in flight; still subject to the failure back-off.
      await set.reload()
      return set(header, token)
    }
  }
  return Object.assign(getKey, { forLogin })
}

/** The `jwks_uri` from an issuer's discovery document, whose `issuer` must match exactly. */
export async function discoverJwksUri(issuer: string, timeoutMs: number, record: (result: string, seconds: number) => void): Promise<URL> {
  const started = performance.now()
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
    const meta = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown }
    if (meta.issuer !== issuer) throw new Error('discovery document names another issuer')
    if (typeof meta.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri')
    record('success', (performance.now() - started) / 1000)
    return new URL(meta.jwks_uri)
  } catch (err) {
    record('error', (performance.now() - started) / 1000)
    throw new UpstreamIdpError(`discovery of ${issuer} failed: ${(err as Error).message}`, { cause: err })
  }
}
