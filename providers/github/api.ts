/**
 * The few GitHub REST calls Gatehouse needs, with rate-limit detection and `Link` pagination.
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
import { IdpRateLimitedError, UpstreamIdpError } from '../../src/plugin.js'
import { GitHubTokenRejectedError } from './errors.js'

export interface GitHubUser { id: number; login: string; name?: string | null }
export interface GitHubEmail { email: string; primary: boolean; verified: boolean }
export interface GitHubOrg { login: string }
export interface GitHubTeam { slug: string; organization: { login: string } }

/** Records one call: result is `success`, `error` or `rate_limited`. */
export type Timer = (operation: string, result: string, seconds: number) => void

export interface ApiOptions {
  apiUrl: string
  timeoutSeconds: number
  record: Timer
}

const MAX_PAGES = 20

/** GitHub signals exhaustion with 403 or 429 plus `x-ratelimit-remaining: 0` or `retry-after`. */
export function isRateLimited(res: Response): boolean {
  if (res.status !== 403 && res.status !== 429) return false
  return res.headers.get('x-ratelimit-remaining') === '0' || res.headers.has('retry-after')
}

function nextLink(link: string | null): string | undefined {
  for (const part of (link ?? '').split(',')) {
    const m = part.match(/<([^>]+)>\s*;\s*rel="?next"?/)
    if (m) return m[1]
  }
  return undefined
}

export function createGitHubApi(options: ApiOptions) {
  const origin = new URL(options.apiUrl).origin

  async function call(operation: string, url: string, token: string): Promise<Response> {
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    let res: Response
    try {
      res = await fetch(url, {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'user-agent': 'gatehouse',
          'x-github-api-version': '2022-11-28',
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
      })
    } catch (err) {
      options.record(operation, 'error', seconds())
      throw new UpstreamIdpError(`GitHub ${operation}: ${(err as Error).message}`, { cause: err })
    }
    if (isRateLimited(res)) {
      options.record(operation, 'rate_limited', seconds())
      await res.body?.cancel()
      throw new IdpRateLimitedError(`GitHub ${operation}: rate limited (HTTP ${res.status})`)
    }
    options.record(operation, res.ok ? 'success' : 'error', seconds())
    if (res.status === 401) {
      await res.body?.cancel()
      throw new GitHubTokenRejectedError(`GitHub ${operation}: token rejected (401)`)
    }
    if (!res.ok) {
      await res.body?.cancel()
      throw new UpstreamIdpError(`GitHub ${operation}: HTTP ${res.status}`)
    }
    return res
  }

  async function json<T>(res: Response, operation: string): Promise<T> {
    try {
      return (await res.json()) as T
    } catch (err) {
      throw new UpstreamIdpError(`GitHub ${operation}: response is not JSON`, { cause: err })
    }
  }

  /** Follows `Link: rel="next"` (same origin only) up to MAX_PAGES pages. */
  async function all<T>(operation: string, path: string, token: string): Promise<T[]> {
    const items: T[] = []
    let url: string | undefined = `${options.apiUrl}${path}?per_page=100`
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const res = await call(operation, url, token)
      const batch = await json<T[]>(res, operation)
      if (!Array.isArray(batch)) throw new UpstreamIdpError(`GitHub ${operation}: expected a list`)
      items.push(...batch)
      url = nextLink(res.headers.get('link'))
      if (url && new URL(url).origin !== origin) throw new UpstreamIdpError(`GitHub ${operation}: pagination left ${origin}`)
    }
    return items
  }

  return {
    user: async (token: string) => json<GitHubUser>(await call('user', `${options.apiUrl}/user`, token), 'user'),
    emails: (token: string) => all<GitHubEmail>('emails', '/user/emails', token),
    orgs: (token: string) => all<GitHubOrg>('orgs', '/user/orgs', token),
    teams: (token: string) => all<GitHubTeam>('teams', '/user/teams', token),
  }
}

export type GitHubApi = ReturnType<typeof createGitHubApi>
