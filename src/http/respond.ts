/**
 * Message answers (a small HTML page or a JSON object, by what the client accepts), written through a
 * `Reply`: Koa routes write to their context, the verify fast path to the raw ServerResponse. One
 * implementation for both, so the two paths cannot drift (test/integration/fast-path-parity.test.ts).
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { Context } from 'koa'
import { messagePage, pageUi, type PageAction, type PageUi } from './pages.js'

export type BodyType = 'html' | 'json' | 'text'

/** Where an answer goes; stateless, so the fast path allocates nothing to use it. */
export interface Reply<T> {
  requestHeaders(to: T): IncomingHttpHeaders
  set(to: T, name: string, value: string): void
  /** Status, Content-Type, Content-Length and the body, ending the answer. */
  send(to: T, status: number, type: BodyType, body: string): void
}

/** What Koa sends for `ctx.type = 'html' | 'json' | 'text'`. */
const CONTENT_TYPES: Record<BodyType, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
}

export const KOA_REPLY: Reply<Context> = {
  requestHeaders: (ctx) => ctx.req.headers,
  set: (ctx, name, value) => ctx.set(name, value),
  send(ctx, status, type, body) {
    ctx.status = status
    ctx.type = type
    ctx.body = body
  },
}

export const RAW_REPLY: Reply<ServerResponse> = {
  requestHeaders: (res) => res.req.headers,
  set: (res, name, value) => void res.setHeader(name, value),
  send(res, status, type, body) {
    res.statusCode = status
    res.setHeader('Content-Type', CONTENT_TYPES[type])
    res.setHeader('Content-Length', Buffer.byteLength(body))
    res.end(body)
  },
}

/** Whether the client would rather read JSON than HTML (API clients, fetch, XHR). */
export function wantsJson(headers: IncomingHttpHeaders): boolean {
  const xrw = headers['x-requested-with'] as string | undefined
  if (xrw !== undefined && xrw.toLowerCase() === 'xmlhttprequest') return true
  const accept = headers.accept
  return accept === undefined || !accept.includes('text/html')
}

/** A message with its JSON body rendered once, and its page once per branding. */
export interface Message {
  code: string
  title: string
  text: string
  json: string
  pages: WeakMap<PageUi, string>
}

export const message = (code: string, title: string, text: string): Message => ({
  code,
  title,
  text,
  json: JSON.stringify({ error: code, message: text }),
  pages: new WeakMap(),
})

function pageOf(m: Message, ui: PageUi): string {
  let html = m.pages.get(ui)
  if (html === undefined) m.pages.set(ui, (html = messagePage(ui, m.title, m.text)))
  return html
}

/** Answers with `m`; a request id or an action makes the body particular to this answer. */
export function writeMessage<T>(reply: Reply<T>, to: T, ui: PageUi, status: number, m: Message, requestId?: string, action?: PageAction): void {
  if (wantsJson(reply.requestHeaders(to))) {
    const body = requestId ? JSON.stringify({ error: m.code, message: m.text, requestId }) : m.json
    reply.send(to, status, 'json', body)
    return
  }
  for (const [name, value] of ui.style.headers) reply.set(to, name, value)
  const body = requestId || action ? messagePage(ui, m.title, m.text, requestId, action) : pageOf(m, ui)
  reply.send(to, status, 'html', body)
}

/** The branding of the request's config version, put in `ctx.state` by app.ts; the default without one. */
export const uiOf = (ctx: Context): PageUi => (ctx.state as { pageUi?: PageUi }).pageUi ?? pageUi(undefined)

/** Answers a Koa route with a small HTML page or a JSON object, by what the client accepts. */
export function sendMessage(ctx: Context, status: number, code: string, title: string, text: string, requestId?: string, action?: PageAction): void {
  writeMessage(KOA_REPLY, ctx, uiOf(ctx), status, message(code, title, text), requestId, action)
}
