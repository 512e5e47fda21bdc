/**
 * `POST /oauth2/backchannel_logout` (OpenID Connect Back-Channel Logout 1.0): the IdP posts a
 * `logout_token`; the provider whose key set verifies it names an IdP session (`sid`) or a user
 * (`sub`), and every matching session is revoked in every process and replica. Answers per §2.8:
 * 200 on success, 400 `invalid_request` otherwise, never cached.
 */
import type { Context } from 'koa'
import type { Logger } from 'pino'
import { readForm } from '../http/form.js'
import type { LogoutClaims } from '../plugin.js'
import type { Runtime } from '../runtime.js'

const MAX_BODY = 16 * 1024

function refuse(ctx: Context, description: string) {
  ctx.status = 400
  ctx.body = { error: 'invalid_request', error_description: description }
}

export function backchannelLogoutRoute(getRuntime: () => Runtime, logger: Logger) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    ctx.set('Cache-Control', 'no-store')
    const token = (await readForm(ctx, MAX_BODY)).get('logout_token')
    if (!token) return refuse(ctx, 'logout_token missing')
    let verified: { provider: string; claims: LogoutClaims } | undefined
    for (const p of rt.providers.values()) {
      if (!p.verifyLogoutToken) continue
      try {
        verified = { provider: p.id, claims: await p.verifyLogoutToken(token) }
        break
      } catch (err) {
        logger.debug({ provider: p.id, err: { message: (err as Error).message } }, 'logout token not verified by this provider')
      }
    }
    if (!verified) {
      logger.warn('back-channel logout token refused')
      return refuse(ctx, 'logout_token not valid')
    }
    const { provider, claims } = verified
    const lifecycle = rt.sessions.lifecycle
    if (!lifecycle) return refuse(ctx, 'sessions are not revocable here')
    if (!(await lifecycle.logout(provider, claims))) return refuse(ctx, 'logout_token replayed')
    logger.info({ provider, by: claims.sid ? 'sid' : 'sub' }, 'back-channel logout')
    ctx.status = 200
    ctx.body = ''
  }
}
