/**
 * GitHub's OAuth web flow (not OIDC): PKCE S256, the code exchange, then identity and
 * restrictions from the REST API. Bearer tokens (`gho_`, `ghu_`, `ghp_`, `github_pat_` …) are
 * resolved through the same API, cached by their SHA-256 so a busy dashboard does not burn the
 * hourly quota (5,000 requests per token).
 */
import * as client from 'openid-client'
import {
  ForbiddenError,
  LoginError,
  NotResponsible,
  SessionEndedError,
  createCredentialCache,
  hashCredential,
  type CallbackInput,
  type Identity,
  type LoginInput,
  type Provider,
  type ProviderContext,
} from '../../src/plugin.js'
import { createGitHubApi, type Timer } from './api.js'
import { GitHubTokenRejectedError } from './errors.js'
import { resolveIdentity } from './identity.js'
import type { GitHubOptions } from './options.js'
import { exchangeCode } from './token.js'

/** User-to-server, OAuth App, personal and fine-grained tokens; `ghr_` (refresh) and `ghs_` (installation) are not user credentials. */
const USER_TOKEN = /^(gho_|ghu_|ghp_|github_pat_)[A-Za-z0-9_]{1,251}$/

/** A session identity is re-resolved at the latest after this (OAuth App tokens never expire). */
const LOGIN_IDENTITY_SECONDS = 8 * 3600

export function createGitHubProvider(id: string, options: GitHubOptions, ctx: ProviderContext, displayName: string): Provider {
  const record: Timer = (operation, result, seconds) => ctx.metrics.idpRequest(id, operation, result, seconds)
  const api = createGitHubApi({ apiUrl: options.apiUrl, timeoutSeconds: options.timeoutSeconds, record })
  const bearerCache = createCredentialCache<Identity | 'forbidden'>({
    name: `github_bearer_${id}`,
    maxEntries: 10_000,
    maxTtlSeconds: Math.max(options.cacheTtlSeconds, 1),
    metrics: ctx.metrics,
    negativeTtlMs: 30_000,
  })
  const now = () => Math.floor(Date.now() / 1000)

  return {
    id,
    type: 'github',
    displayName,
    async ready() {},
    async authorizationUrl(input: LoginInput) {
      const url = new URL(`${options.baseUrl}/login/oauth/authorize`)
      url.searchParams.set('client_id', options.clientId)
      url.searchParams.set('redirect_uri', input.redirectUri)
      url.searchParams.set('scope', options.scopes.join(' '))
      url.searchParams.set('state', input.state)
      url.searchParams.set('code_challenge', await client.calculatePKCECodeChallenge(input.codeVerifier))
      url.searchParams.set('code_challenge_method', 'S256')
      url.searchParams.set('allow_signup', 'false')
      // GitHub's account picker; it has no RP-initiated logout, so this is how another account gets chosen.
      if (input.switchAccount) url.searchParams.set('prompt', 'select_account')
      return url
    },
    async callback(input: CallbackInput) {
      const params = input.callbackUrl.searchParams
      if (params.get('state') !== input.state) throw new LoginError('GitHub callback: state mismatch')
      const code = params.get('code')
      if (!code) throw new LoginError('GitHub callback: no code')
      const tokens = await exchangeCode({
        baseUrl: options.baseUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        code,
        redirectUri: input.redirectUri,
        codeVerifier: input.codeVerifier,
        timeoutSeconds: options.timeoutSeconds,
        record,
      })
      const expiresAt = now() + Math.min(tokens.expiresIn ?? LOGIN_IDENTITY_SECONDS, LOGIN_IDENTITY_SECONDS)
      let identity: Identity
      try {
        identity = await resolveIdentity(api, tokens.accessToken, id, options, expiresAt)
      } catch (err) {
        // A token GitHub rejects right after issuing it is a failed sign-in, not a bad bearer.
        if (err instanceof GitHubTokenRejectedError) throw new LoginError(err.message, { cause: err })
        throw err
      }
      return { identity, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }
    },
    /** OAuth App tokens don't expire: revalidation asks GitHub again who the user is and re-checks orgs and teams. */
    async refresh(session) {
      if (!session.accessToken) throw new SessionEndedError(`${id}: session without an access token cannot be revalidated`)
      try {
        const identity = await resolveIdentity(api, session.accessToken, id, options, session.identity.expiresAt)
        if (identity.subject !== session.identity.subject) throw new SessionEndedError(`${id}: token now belongs to another user`)
        return { identity, accessToken: session.accessToken, refreshToken: session.refreshToken }
      } catch (err) {
        if (err instanceof GitHubTokenRejectedError || err instanceof ForbiddenError) throw new SessionEndedError(err.message, { cause: err })
        throw err
      }
    },
    async verifyBearer(token: string) {
      if (!USER_TOKEN.test(token)) return NotResponsible
      const verdict = await bearerCache.resolve(hashCredential(token), async () => {
        const expiresAt = now() + options.cacheTtlSeconds
        try {
          return { value: await resolveIdentity(api, token, id, options, expiresAt), expiresAt }
        } catch (err) {
          if (err instanceof GitHubTokenRejectedError) return undefined
          if (err instanceof ForbiddenError) return { value: 'forbidden' as const, expiresAt }
          throw err
        }
      })
      if (verdict === undefined) throw new GitHubTokenRejectedError(`${id}: GitHub rejected the bearer token`)
      if (verdict === 'forbidden') throw new ForbiddenError(`${id}: bearer token user is not allowed`)
      return verdict
    },
  }
}
