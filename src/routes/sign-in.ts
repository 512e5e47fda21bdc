/**
 * `/oauth2/sign_in?rd=`: the ingress-nginx `auth-signin` target. Lists every provider; with a
 * single provider it goes straight on to it. Any session cookie is cleared first, before the
 * response starts (GHSA-f24x-5g9q-753f).
 */
import type { Context } from 'koa'
import { sendPage, signInPage } from '../http/pages.js'
import { uiOf } from '../http/respond.js'
import type { Runtime } from '../runtime.js'
import { chooseReturnUrl } from './start.js'

export function signInRoute(getRuntime: () => Runtime) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    const rd = chooseReturnUrl(ctx, rt)
    for (const cookie of rt.sessions.clear(ctx.get('cookie'))) ctx.append('Set-Cookie', cookie)
    rt.sessions.forget(ctx.get('cookie'))
    const startUrl = (provider: string) => {
      const url = new URL('/oauth2/start', rt.config.server.publicUrl)
      url.searchParams.set('rd', rd)
      url.searchParams.set('provider', provider)
      return url.href
    }
    if (rt.providers.size === 1) {
      ctx.redirect(startUrl(rt.providers.keys().next().value!))
      return
    }
    // The config's displayName (default: the plugin's) names the button, so two OIDC providers differ.
    const labels = new Map(rt.config.providers.map((p) => [p.id, p.displayName]))
    const ui = uiOf(ctx)
    sendPage(ctx, ui, signInPage(ui, [...rt.providers.values()].map((p) => ({ id: p.id, label: labels.get(p.id) ?? p.displayName, href: startUrl(p.id) }))))
  }
}
