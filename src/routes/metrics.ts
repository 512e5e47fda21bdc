/** `/metrics` in Prometheus text format. */
import type { Context } from 'koa'
import type { Metrics } from '../metrics.js'

export function metricsRoute(metrics: Metrics) {
  return async (ctx: Context) => {
    ctx.set('Content-Type', metrics.contentType)
    ctx.body = await metrics.render()
  }
}
