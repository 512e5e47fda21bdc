/**
 * `/oauth2/callback`: checks the flow's state cookie, lets the provider exchange the code and
 * verify the ID token, applies authorization, creates the session and returns to the
 * re-validated `rd`. The state cookie is cleared whatever the outcome.
 */
import type { Context } from 'koa'
import type { Logger } from 'pino'
import { AccessDeniedError, ForbiddenError, GatehouseError, LoginError } from '../errors.js'
import type { Metrics } from '../metrics.js'
import type { Runtime } from '../runtime.js'

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
      metrics.login(provider.id, 'success')
      logger.info({ provider: provider.id, subject: result.identity.subject }, 'login')
      // The rd was validated at start; validate again in case the allow-list changed since.
      ctx.redirect(rt.validateRedirect(flow.rd) ?? new URL('/', rt.config.server.publicUrl).href)
    } catch (err) {
      const result = err instanceof ForbiddenError ? 'forbidden' : err instanceof GatehouseError && err.status === 502 ? 'idp_error' : 'error'
      metrics.login(provider.id, result)
      throw err
    }
  }
}
