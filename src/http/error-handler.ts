/**
 * Maps thrown errors onto answers. Clients get the error's public message, a stable code and a
 * request id; the log gets the cause. Nothing from a stack or an IdP body reaches the client.
 */
import { randomUUID } from 'node:crypto'
import type { Context, Next } from 'koa'
import type { Logger } from 'pino'
import { ForbiddenError, GatehouseError, LoginError, UpstreamIdpError } from '../errors.js'
import { sendMessage } from './respond.js'

const TITLES: Record<number, string> = {
  400: 'Sign-in failed',
  403: 'Access denied',
  404: 'Not found',
  502: 'Identity provider unavailable',
  500: 'Something went wrong',
}

const PLUGIN_MESSAGES: Record<number, string> = {
  400: new LoginError('').publicMessage,
  403: new ForbiddenError('').publicMessage,
  502: new UpstreamIdpError('').publicMessage,
}

/** Attaches the request id a caller already logged, so the error answer carries the same one. */
export function withRequestId(err: unknown, requestId: string): unknown {
  if (err !== null && typeof err === 'object') (err as { requestId?: string }).requestId = requestId
  return err
}

export function errorHandler(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next()
    } catch (err) {
      const attached = (err as { requestId?: unknown } | null)?.requestId
      const requestId = typeof attached === 'string' ? attached : randomUUID()
      const known = err instanceof GatehouseError
      // Third-party plugins cannot import GatehouseError: a `status` of theirs picks the page, never the text.
      const pluginStatus = (err as { status?: unknown }).status
      const foreign = !known && typeof pluginStatus === 'number' && pluginStatus in PLUGIN_MESSAGES ? pluginStatus : undefined
      const status = known ? err.status : (foreign ?? 500)
      const code = known ? err.code : foreign ? 'PROVIDER_ERROR' : 'INTERNAL'
      const cause = (err as { cause?: Error }).cause
      logger[status >= 500 ? 'error' : 'warn'](
        { requestId, code, status, path: ctx.path, err: { message: (err as Error).message, cause: cause?.message } },
        'request failed',
      )
      // Keep cookies set before the failure (e.g. the cleared state cookie); drop the rest.
      const cookies = ctx.response.get('set-cookie')
      ctx.res.getHeaderNames().forEach((h) => ctx.remove(h))
      if (cookies) ctx.set('Set-Cookie', cookies as unknown as string[])
      ctx.set('Cache-Control', 'no-store')
      ctx.set('X-Request-Id', requestId)
      const message = known ? err.publicMessage : foreign ? PLUGIN_MESSAGES[foreign] : 'Something went wrong.'
      // A failed login (stale link, IdP said no) is retried from the start; the page says how.
      const retry = err instanceof LoginError ? { href: '/oauth2/sign_in', label: 'Sign in again' } : undefined
      sendMessage(ctx, status, code, TITLES[status] ?? 'Error', message, requestId, retry)
    }
  }
}
