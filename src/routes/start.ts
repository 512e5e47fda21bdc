/** `/oauth2/start?rd=&provider=`: begins a login with state, nonce and PKCE S256. */
import type { Context } from 'koa'
import { BadRequestError } from '../errors.js'
import type { Runtime } from '../runtime.js'

/** The return URL: `rd`, then X-Auth-Request-Redirect, then the public root. Invalid ones fall through. */
export function chooseReturnUrl(ctx: Context, rt: Runtime): string {
  const rd = typeof ctx.query.rd === 'string' ? ctx.query.rd : undefined
  return (
    rt.validateRedirect(rd) ??
    rt.validateRedirect(ctx.get('x-auth-request-redirect') || undefined) ??
    new URL('/', rt.config.server.publicUrl).href
  )
}

export function startRoute(getRuntime: () => Runtime) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    const rd = chooseReturnUrl(ctx, rt)
    const requested = typeof ctx.query.provider === 'string' ? ctx.query.provider : undefined
    if (!requested && rt.providers.size > 1) {
      const url = new URL('/oauth2/sign_in', rt.config.server.publicUrl)
      url.searchParams.set('rd', rd)
      ctx.redirect(url.href)
      return
    }
    const provider = requested ? rt.providers.get(requested) : rt.providers.values().next().value
    if (!provider) throw new BadRequestError('Unknown sign-in provider.')
    const { flow, setCookies } = rt.states.begin(provider.id, rd, ctx.get('cookie'))
    const url = await provider.authorizationUrl({
      redirectUri: rt.callbackUrl,
      state: flow.state,
      nonce: flow.nonce,
      codeVerifier: flow.codeVerifier,
    })
    ctx.set('Set-Cookie', setCookies)
    ctx.redirect(url.href)
  }
}
