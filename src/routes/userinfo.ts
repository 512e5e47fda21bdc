/** `/oauth2/userinfo`: the current identity as JSON, or 401. */
import type { Context } from 'koa'
import { accessRequest, decide } from '../access/decide.js'
import type { Runtime } from '../runtime.js'

export function userinfoRoute(getRuntime: () => Runtime) {
  return async (ctx: Context) => {
    const rt = getRuntime()
    const outcome = await decide(rt, accessRequest(ctx.req, 'none'))
    ctx.set('Cache-Control', 'no-store')
    if (outcome.result === 'unauthenticated') {
      ctx.status = 401
      ctx.body = { error: 'UNAUTHENTICATED', message: 'Sign in to access this resource.' }
      return
    }
    if (outcome.result !== 'allow') {
      ctx.status = 403
      ctx.body = { error: 'FORBIDDEN', message: 'You are signed in but not allowed to access this resource.' }
      return
    }
    const { user, email, groups, roles, preferredUsername, provider } = outcome.identity
    ctx.body = { user, email: email ?? null, preferredUsername: preferredUsername ?? null, groups, roles, provider }
  }
}
