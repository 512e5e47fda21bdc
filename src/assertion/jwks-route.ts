/**
 * `GET /.well-known/jwks.json`: the public halves of the assertion keys (keys.ts), for apps that
 * verify the assertion. 404 while the assertion is off. Short-cached: a verifier that meets an
 * unknown `kid` refetches anyway (jose's createRemoteJWKSet does), and rotation keeps the old key
 * published meanwhile.
 */
import type { Context } from 'koa'
import { NotFoundError } from '../errors.js'
import type { Runtime } from '../runtime.js'

export const JWKS_PATH = '/.well-known/jwks.json'

export function jwksRoute(getRuntime: () => Runtime) {
  return (ctx: Context) => {
    const assertion = getRuntime().config.assertion
    if (!assertion) throw new NotFoundError('the identity assertion is off (headers.assertion.enabled)')
    ctx.set('Cache-Control', 'public, max-age=60')
    ctx.body = { keys: assertion.keys.published }
  }
}
