/**
 * Builds the Koa application: middleware order and routes only. The verify endpoints are matched
 * first, by exact path, ahead of the router: they are the hot path. Verify answers (allow and deny)
 * rarely reach Koa: server.ts wraps Koa's handler in `fastPath` (routes/verify.ts).
 */
import Koa from 'koa'
import Router from '@koa/router'
import type { Logger } from 'pino'
import type { Metrics } from './metrics.js'
import type { Runtime } from './runtime.js'
import { errorHandler } from './http/error-handler.js'
import { verifyRoute } from './routes/verify.js'
import { startRoute } from './routes/start.js'
import { callbackRoute } from './routes/callback.js'
import { signInRoute } from './routes/sign-in.js'
import { signOutRoute } from './routes/sign-out.js'
import { signedOutRoute, SIGNED_OUT_PATH } from './routes/signed-out.js'
import { forbiddenRoute } from './routes/forbidden.js'
import { FORBIDDEN_PATH } from './http/forbidden-redirect.js'
import { logoRoute } from './routes/static.js'
import { pageUi } from './http/pages.js'
import { backchannelLogoutRoute } from './routes/backchannel-logout.js'
import { userinfoRoute } from './routes/userinfo.js'
import { pingRoute, readyRoute, type ReadinessCheck } from './routes/health.js'
import { metricsRoute } from './routes/metrics.js'
import { JWKS_PATH, jwksRoute } from './assertion/jwks-route.js'
import { createUpstream, type Upstream } from './upstream.js'
import { NotFoundError } from './errors.js'

export interface AppDeps {
  getRuntime: () => Runtime
  metrics: Metrics
  logger: Logger
  /** Serve /metrics on the main listener (false when metrics.listen is set). */
  serveMetrics: boolean
  readinessChecks?: ReadinessCheck[]
}

export interface App {
  koa: Koa
  /** Present in upstream mode: attach `upgrade` to the server's 'upgrade' event. */
  upstream?: Upstream
}

export function createApp(deps: AppDeps): App {
  const { getRuntime, metrics, logger } = deps
  const koa = new Koa()
  koa.silent = true
  const auth = verifyRoute(getRuntime, metrics, logger, 'auth')
  const forwardAuth = verifyRoute(getRuntime, metrics, logger, 'forward_auth')

  koa.use(errorHandler(logger))
  koa.use(async (ctx, next) => {
    // The branding every page (deny and error pages included) is drawn with: built once per config version.
    const { config } = getRuntime()
    ctx.state.pageUi = pageUi(config.ui, config.server.publicUrl)
    if (ctx.path === '/oauth2/auth') return auth(ctx)
    if (ctx.path === '/oauth2/forward-auth') return forwardAuth(ctx)
    // Every other Gatehouse answer is personal or one-time: never cached.
    if (ctx.path.startsWith('/oauth2/')) ctx.set('Cache-Control', 'no-store')
    return next()
  })

  const upstream = getRuntime().config.upstream ? createUpstream(getRuntime, metrics, logger) : undefined
  if (upstream) koa.use(upstream.middleware)

  const router = new Router()
  router.get('/oauth2/start', startRoute(getRuntime))
  router.get('/oauth2/callback', callbackRoute(getRuntime, metrics, logger))
  router.get('/oauth2/sign_in', signInRoute(getRuntime))
  router.get('/oauth2/sign_out', signOutRoute(getRuntime))
  router.post('/oauth2/sign_out', signOutRoute(getRuntime))
  router.get(SIGNED_OUT_PATH, signedOutRoute(getRuntime))
  router.get(FORBIDDEN_PATH, forbiddenRoute(getRuntime))
  router.get('/oauth2/static/logo', logoRoute(getRuntime))
  router.get('/oauth2/userinfo', userinfoRoute(getRuntime))
  router.post('/oauth2/backchannel_logout', backchannelLogoutRoute(getRuntime, logger))
  router.get(JWKS_PATH, jwksRoute(getRuntime))
  router.get('/ping', pingRoute())
  router.get('/ready', readyRoute(getRuntime, logger, deps.readinessChecks))
  if (deps.serveMetrics) router.get('/metrics', metricsRoute(metrics))
  koa.use(router.routes())
  koa.use(router.allowedMethods())
  koa.use((ctx) => {
    if (ctx.status === 404 && !ctx.body) throw new NotFoundError(`no route for ${ctx.method} ${ctx.path}`)
  })
  return { koa, upstream }
}
