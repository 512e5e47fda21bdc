/**
 * Group membership through the Admin SDK Directory API, as a service account with domain-wide
 * delegation impersonating an admin (JWT-bearer grant, RFC 7523). Answers, positive and negative,
 * are cached for a TTL; failures are not, and fail the login closed.
 * https://developers.google.com/admin-sdk/directory/reference/rest/v1/members/hasMember
 */
import { SignJWT, importPKCS8 } from 'jose'
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import { UpstreamIdpError } from '../../src/plugin.js'
import type { ServiceAccountKey } from './options.js'

const SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.member.readonly'

export interface GroupCheckerOptions {
  key: ServiceAccountKey
  adminEmail: string
  tokenUrl: string
  directoryBaseUrl: string
  ttlSeconds: number
  timeoutSeconds: number
  logger: Logger
  record(operation: string, result: string, seconds: number): void
}

export function createGroupChecker(o: GroupCheckerOptions) {
  const answers = new LRUCache<string, boolean>({ max: 10_000, ttl: Math.max(o.ttlSeconds, 1) * 1000 })
  let token: { value: string; expiresAt: number } | undefined
  let pending: Promise<string> | undefined

  async function call(operation: string, url: string, init: RequestInit): Promise<Response> {
    const started = performance.now()
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(o.timeoutSeconds * 1000) })
      o.record(operation, res.ok ? 'success' : 'error', (performance.now() - started) / 1000)
      return res
    } catch (err) {
      o.record(operation, 'error', (performance.now() - started) / 1000)
      throw new UpstreamIdpError(`Google ${operation}: ${(err as Error).message}`, { cause: err })
    }
  }

  async function mintToken(): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(o.key.client_email)
      .setSubject(o.adminEmail)
      .setAudience(o.tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await importPKCS8(o.key.private_key, 'RS256'))
    const res = await call('directory_token', o.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    })
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string }
    if (!res.ok || typeof body.access_token !== 'string') {
      throw new UpstreamIdpError(`Google directory token: HTTP ${res.status} ${body.error ?? ''}`.trim())
    }
    token = { value: body.access_token, expiresAt: now + (body.expires_in ?? 3600) }
    return token.value
  }

  async function accessToken(): Promise<string> {
    if (token && token.expiresAt - 60 > Date.now() / 1000) return token.value
    pending ??= mintToken().finally(() => {
      pending = undefined
    })
    return pending
  }

  async function hasMember(group: string, email: string): Promise<boolean> {
    const key = `${group.toLowerCase()}\n${email}`
    const known = answers.get(key)
    if (known !== undefined) return known
    const url = `${o.directoryBaseUrl.replace(/\/+$/, '')}/admin/directory/v1/groups/${encodeURIComponent(group)}/hasMember/${encodeURIComponent(email)}`
    const res = await call('has_member', url, { headers: { authorization: `Bearer ${await accessToken()}` } })
    const body = (await res.json().catch(() => undefined)) as { isMember?: unknown } | undefined
    let member: boolean
    if (res.ok && typeof body?.isMember === 'boolean') member = body.isMember
    else if (res.status === 404 || res.status === 400) {
      // unknown group, or a member outside the group's domain: not a member, but worth a look
      o.logger.warn({ group, status: res.status }, 'Directory API cannot check this group')
      member = false
    } else {
      if (res.status === 401) token = undefined
      throw new UpstreamIdpError(`Google hasMember: HTTP ${res.status}`)
    }
    answers.set(key, member)
    return member
  }

  return {
    /** The configured groups `email` belongs to; every one is asked, none is assumed. */
    async groupsOf(groups: readonly string[], email: string): Promise<string[]> {
      const results = await Promise.all(groups.map((g) => hasMember(g, email)))
      return groups.filter((_, i) => results[i])
    },
  }
}
