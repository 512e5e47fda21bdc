import type { Context } from 'koa'
import { messagePage, pageUi, sendPage, type PageAction, type PageUi } from './pages.js'

/** Whether the client would rather read JSON than HTML (API clients, fetch, XHR). */
export function wantsJson(ctx: Context): boolean {
  const accept = ctx.get('accept')
  if (ctx.get('x-requested-with').toLowerCase() === 'xmlhttprequest') return true
  return !accept.includes('text/html')
}

/** The branding of the request's config version, put in `ctx.state` by app.ts; the default without one. */
export const uiOf = (ctx: Context): PageUi => (ctx.state as { pageUi?: PageUi }).pageUi ?? pageUi(undefined)

/** Answers with a small HTML page or a JSON object, by what the client accepts. */
export function sendMessage(
  ctx: Context,
  status: number,
  code: string,
  title: string,
  message: string,
  requestId?: string,
  action?: PageAction,
): void {
  ctx.status = status
  if (wantsJson(ctx)) {
    ctx.body = requestId ? { error: code, message, requestId } : { error: code, message }
  } else {
    const ui = uiOf(ctx)
    sendPage(ctx, ui, messagePage(ui, title, message, requestId, action), status)
  }
}
