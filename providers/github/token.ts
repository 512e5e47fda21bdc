/**
 * The code-for-token exchange. GitHub answers errors with HTTP 200 and an `error` member, and
 * form-encodes unless asked for JSON, so `body.error` is tested before `access_token`.
 * https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
 */
import { LoginError, UpstreamIdpError } from '../../src/plugin.js'
import type { Timer } from './api.js'

export interface ExchangeInput {
  baseUrl: string
  clientId: string
  clientSecret: string
  code: string
  redirectUri: string
  codeVerifier: string
  timeoutSeconds: number
  record: Timer
}

export interface GitHubTokens { accessToken: string; refreshToken?: string; expiresIn?: number }

export async function exchangeCode(input: ExchangeInput): Promise<GitHubTokens> {
  const started = performance.now()
  const seconds = () => (performance.now() - started) / 1000
  let res: Response
  try {
    res = await fetch(`${input.baseUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'gatehouse' },
      body: new URLSearchParams({
        client_id: input.clientId,
        client_secret: input.clientSecret,
        code: input.code,
        redirect_uri: input.redirectUri,
        code_verifier: input.codeVerifier,
      }),
      signal: AbortSignal.timeout(input.timeoutSeconds * 1000),
    })
  } catch (err) {
    input.record('token', 'error', seconds())
    throw new UpstreamIdpError(`GitHub code exchange: ${(err as Error).message}`, { cause: err })
  }
  if (!res.ok) {
    input.record('token', 'error', seconds())
    await res.body?.cancel()
    throw res.status >= 500 || res.status === 429
      ? new UpstreamIdpError(`GitHub code exchange: HTTP ${res.status}`)
      : new LoginError(`GitHub code exchange: HTTP ${res.status}`)
  }
  let body: Record<string, unknown>
  try {
    body = (await res.json()) as Record<string, unknown>
  } catch (err) {
    input.record('token', 'error', seconds())
    throw new UpstreamIdpError('GitHub code exchange: response is not JSON', { cause: err })
  }
  if (typeof body.error === 'string') {
    input.record('token', 'error', seconds())
    throw new LoginError(`GitHub code exchange: ${body.error.slice(0, 64)}`)
  }
  if (typeof body.access_token !== 'string' || !body.access_token) {
    input.record('token', 'error', seconds())
    throw new LoginError('GitHub code exchange: no access_token in the response')
  }
  input.record('token', 'success', seconds())
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    expiresIn: typeof body.expires_in === 'number' ? body.expires_in : undefined,
  }
}
