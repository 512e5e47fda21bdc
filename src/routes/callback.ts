/**
 * `/oauth2/callback`: checks the flow's state cookie, lets the provider exchange the code and
 * verify the ID token, applies authorization, creates the session and returns to the
 * re-validated `rd`. The state cookie is cleared whatever the outcome. A user who is not allowed
 * is redirected to the forbidden page (routes/forbidden.ts), so a reload never replays the
 * one-time callback URL; a sealed cookie tells that page (and sign-out) who it was.
 */
import type { Context } from 'koa'
import type { Logger } from 'pino'
import type { LoginResult } from '../plugin.js'
import { AccessDeniedError, ForbiddenError, GatehouseError, LoginError } from '../errors.js'
import type { Metrics } from '../metrics.js'
import type { Runtime } from '../runtime.js'
import { forbiddenUrl } from '../http/forbidden-redirect.js'
import { deniedLogins, displayName } from './denied-login.js'

class StateMismatchError extends LoginError {
  override readonly code = 'STATE_MISMATCH'
  override readonly publicMessage = 'This sign-in link has expired or was already used. Please start again.'
}

export function callbackRoute(getRuntime: () => Runtime, metrics: Metrics, logger: Logger) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : ''
    const flow = rt.states.find(state, ctx.get('cookie'))
    if (state) ctx.append('Set-Cookie', rt.states.clear(state))
    if (!flow) throw new StateMismatchError('no login flow matches the callback state')
    const provider = rt.providers.get(flow.provider)
    if (!provider) throw new StateMismatchError(`provider ${flow.provider} no longer configured`)
    let refused: LoginResult | undefined
    try {
      if (typeof ctx.query.error === 'string') {
        const error = ctx.query.error.slice(0, 64)
        throw error === 'access_denied'
          ? new AccessDeniedError(`IdP returned error=${error}`)
          : new LoginError(`IdP returned error=${error}`)
      }
      if (typeof ctx.query.code !== 'string' || !ctx.query.code) throw new LoginError('callback without a code')
      const callbackUrl = new URL(rt.callbackUrl)
      callbackUrl.search = ctx.querystring
      const result = await provider.callback({
        callbackUrl,
        redirectUri: rt.callbackUrl,
        state: flow.state,
        nonce: flow.nonce,
        codeVerifier: flow.codeVerifier,
      })
      if (!rt.loginChecks.get(provider.id)?.(result.identity)) {
        refused = result
        throw new ForbiddenError(`user ${result.identity.subject} of ${provider.id} is not allowed`)
      }
      // Tokens are kept (sealed, or encrypted in Redis) for revalidation (session.refresh) and passAccessToken.
      const session = rt.sessions.create({
        identity: result.identity,
        idToken: result.idToken,
        accessToken: result.accessToken,
        accessExpiresAt: result.accessExpiresAt,
        refreshToken: result.refreshToken,
        refreshExpiresAt: result.refreshExpiresAt,
        sid: result.sid,
      })
      for (const cookie of await rt.sessions.save(session, ctx.get('cookie'))) ctx.append('Set-Cookie', cookie)
      const denied = deniedLogins(rt)
      if (denied.present(ctx.get('cookie'))) ctx.append('Set-Cookie', denied.clear())
      metrics.login(provider.id, 'success')
      logger.info({ provider: provider.id, subject: result.identity.subject }, 'login')
      // The rd was validated at start; validate again in case the allow-list changed since.
      ctx.redirect(rt.validateRedirect(flow.rd) ?? new URL('/', rt.config.server.publicUrl).href)
    } catch (err) {
      // A third-party plugin that cannot import ForbiddenError says 403 with `status` (providers/README.md).
      const forbidden = err instanceof ForbiddenError || (!(err instanceof GatehouseError) && (err as { status?: unknown } | null)?.status === 403)
      const result = forbidden ? 'forbidden' : err instanceof GatehouseError && err.status === 502 ? 'idp_error' : 'error'
      metrics.login(provider.id, result)
      if (!forbidden) throw err
      logger.warn({ provider: provider.id, code: 'FORBIDDEN', err: { message: (err as Error).message } }, 'login forbidden')
      const identity = refused?.identity
      ctx.append(
        'Set-Cookie',
        deniedLogins(rt).set({ who: identity && displayName(identity), provider: provider.id, idToken: refused?.idToken, rd: flow.rd }),
      )
      ctx.redirect(forbiddenUrl(rt, undefined))
    }
  }
}
