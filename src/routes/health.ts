/**
 * `/ping` (liveness) and `/ready` (readiness: every provider discovered). Matched on exact paths
 * only, and no header changes their answer (CVE-2026-34457).
 */
import type { Context } from 'koa'
import type { Logger } from 'pino'
import type { Runtime } from '../runtime.js'

export function pingRoute() {
  return (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store')
    ctx.body = 'OK'
  }
}

export type ReadinessCheck = () => Promise<void>

export function readyRoute(getRuntime: () => Runtime, logger: Logger, extraChecks: ReadinessCheck[] = []) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    ctx.set('Cache-Control', 'no-store')
    try {
      await Promise.all([...[...rt.providers.values()].map((p) => p.ready()), ...extraChecks.map((c) => c())])
      ctx.body = 'OK'
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'not ready')
      ctx.status = 503
      ctx.body = 'NOT READY'
    }
  }
}
