/**
 * Some IdPs put a second spelling of their issuer in ID tokens: Google uses both
 * `https://accounts.google.com` and `accounts.google.com`
 * (https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken).
 * openid-client compares `iss` strictly with the discovered issuer, so an exchange that fails on
 * `iss` alone is validated again, in full, against a configuration whose issuer is the accepted
 * alias, replaying the token response already received (the code is single-use).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import * as client from 'openid-client'

interface Exchange {
  /** The token endpoint's answer, captured during the first attempt. */
  captured?: { status: number; headers: [string, string][]; body: string }
  /** Set during the replay: answer the token request from here instead of the network. */
  replay?: boolean
}

export interface IssuerAliases {
  /** Installs the capturing fetch on the discovered configuration. */
  attach(config: client.Configuration): void
  /** The alias named by an `iss` mismatch, when it is an accepted one. */
  aliasFor(err: unknown): string | undefined
  run<T>(fn: () => Promise<T>): Promise<T>
  /** Re-validates the captured token response as if `alias` were the issuer. */
  replay(
    config: client.Configuration,
    alias: string,
    callbackUrl: URL,
    checks: client.AuthorizationCodeGrantChecks,
  ): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers>
}

export function createIssuerAliases(
  aliases: readonly string[],
  credentials: { clientId: string; clientSecret: string; insecure: boolean; timeout: number },
): IssuerAliases {
  const exchanges = new AsyncLocalStorage<Exchange>()
  const configs = new Map<string, client.Configuration>()
  let tokenEndpoint: string | undefined

  const fetchVia: client.CustomFetch = async (url, init) => {
    const store = exchanges.getStore()
    if (store?.replay && url === tokenEndpoint && store.captured) {
      const { status, headers, body } = store.captured
      return new Response(body, { status, headers })
    }
    const res = await fetch(url, init as RequestInit)
    if (store && !store.replay && url === tokenEndpoint) {
      const body = await res.clone().text()
      store.captured = { status: res.status, headers: [...res.headers], body }
    }
    return res
  }

  const aliasConfig = (config: client.Configuration, alias: string) => {
    let c = configs.get(alias)
    if (!c) {
      // The authorization response's `iss` was already checked against the real issuer.
      const { supportsPKCE: _helper, ...metadata } = config.serverMetadata()
      c = new client.Configuration(
        { ...metadata, issuer: alias, authorization_response_iss_parameter_supported: false },
        credentials.clientId,
        credentials.clientSecret,
      )
      c[client.customFetch] = fetchVia
      c.timeout = credentials.timeout
      if (credentials.insecure) client.allowInsecureRequests(c)
      client.enableNonRepudiationChecks(c)
      configs.set(alias, c)
    }
    return c
  }

  return {
    attach(config) {
      if (!aliases.length) return
      tokenEndpoint = config.serverMetadata().token_endpoint
      config[client.customFetch] = fetchVia
    },
    aliasFor(err) {
      const detail = (err as { code?: string; cause?: { cause?: { claim?: string; claims?: { iss?: unknown } } } })
      if (detail.code !== 'OAUTH_JWT_CLAIM_COMPARISON_FAILED') return undefined
      const cause = detail.cause?.cause
      const iss = cause?.claims?.iss
      return cause?.claim === 'iss' && typeof iss === 'string' && aliases.includes(iss) ? iss : undefined
    },
    run(fn) {
      return aliases.length ? exchanges.run({}, fn) : fn()
    },
    async replay(config, alias, callbackUrl, checks) {
      const store = exchanges.getStore()
      if (!store?.captured) throw new Error('no token response to re-validate')
      const url = new URL(callbackUrl)
      url.searchParams.delete('iss')
      store.replay = true
      return client.authorizationCodeGrant(aliasConfig(config, alias), url, checks)
    },
  }
}
