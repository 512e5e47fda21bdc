/**
 * `/oauth2/start?rd=&provider=&switch_account=1`: begins a login with state, nonce and PKCE S256.
 * `switch_account=1` (the forbidden page's "Use another account") asks the IdP for its account chooser.
 */
import type { Context } from 'koa'
import { connect } from 'node:net'
import { BadRequestError, UpstreamIdpError } from '../errors.js'
import type { Runtime } from '../runtime.js'

// Discovery is cached, so a stopped IdP would otherwise only show up as the browser's own connection error after
// the redirect. The probe is a bare TCP connect: an HTTP request to the authorization endpoint would be logged by
// the IdP as a failed login. Concurrent sign-ins share one probe, and an answer is reused for a second, so a login
// storm does not become a probe storm.
const PROBE_TTL_MS = 1000
const PROBE_TIMEOUT_MS = 3000
const probes = new Map<string, { until: number; done: Promise<void> }>()

function connects(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port, timeout: PROBE_TIMEOUT_MS })
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('timeout', () => socket.destroy(new Error(`no connection within ${PROBE_TIMEOUT_MS} ms`)))
    socket.once('error', reject)
  })
}

function ensureReachable(url: URL): Promise<void> {
  const now = Date.now()
  const hit = probes.get(url.origin)
  if (hit && now < hit.until) return hit.done
  const done = connects(url).catch((err: Error) => {
    if (probes.get(url.origin)?.done === done) probes.delete(url.origin)
    throw new UpstreamIdpError(`sign-in endpoint ${url.origin} unreachable: ${err.message}`, { cause: err })
  })
  probes.set(url.origin, { until: now + PROBE_TTL_MS, done })
  return done
}

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
      ...(ctx.query.switch_account === '1' ? { switchAccount: true } : {}),
    })
    await ensureReachable(url)
    ctx.set('Set-Cookie', setCookies)
    ctx.redirect(url.href)
  }
}
