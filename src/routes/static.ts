/**
 * `/oauth2/static/logo`: the `ui.logo` file, read and type-checked at config load, served from
 * memory. An SVG can carry scripts: it gets its own CSP (no scripts, no fetches) and `nosniff`,
 * so even opened directly it can only draw.
 */
import { createHash } from 'node:crypto'
import type { Context } from 'koa'
import type { Logo } from '../config/ui.js'
import { NotFoundError } from '../errors.js'
import type { Runtime } from '../runtime.js'

const etags = new WeakMap<Logo, string>()
const etagOf = (logo: Logo) => {
  let tag = etags.get(logo)
  if (!tag) etags.set(logo, (tag = `"${createHash('sha256').update(logo.bytes).digest('base64url').slice(0, 22)}"`))
  return tag
}

export function logoRoute(getRuntime: () => Runtime) {
  return async (ctx: Context) => {
    const logo = getRuntime().config.ui.logo
    if (!logo) throw new NotFoundError('no ui.logo configured')
    const etag = etagOf(logo)
    // Revalidated after an hour: a reload with a new logo shows it soon, the ETag keeps it cheap.
    ctx.set('Cache-Control', 'public, max-age=3600')
    ctx.set('ETag', etag)
    ctx.set('X-Content-Type-Options', 'nosniff')
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    if (ctx.get('if-none-match') === etag) {
      ctx.status = 304
      return
    }
    ctx.type = logo.contentType
    ctx.body = logo.bytes
  }
}
