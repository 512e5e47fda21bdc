import type { Context } from 'koa'
import { messagePage } from './pages.js'

/** Whether the client would rather read JSON than HTML (API clients, fetch, XHR). */
export function wantsJson(ctx: Context): boolean {
  const accept = ctx.get('accept')
  if (ctx.get('x-requested-with').toLowerCase() === 'xmlhttprequest') return true
  return !accept.includes('text/html')
}

/** Answers with a small HTML page or a JSON object, by what the client accepts. */
export function sendMessage(ctx: Context, status: number, code: string, title: string, message: string, requestId?: string): void {
  ctx.status = status
  if (wantsJson(ctx)) {
    ctx.body = requestId ? { error: code, message, requestId } : { error: code, message }
  } else {
    ctx.type = 'html'
    ctx.body = messagePage(title, message, requestId)
  }
}
