/**
 * The HTML pages Gatehouse renders: sign-in, signed-out, forbidden, sign-out confirmation, errors.
 * Self-contained: one inline stylesheet allowed by its hash (page-style.ts), no scripts, no
 * external assets, so they work behind any proxy and under the strict CSP `sendPage` sets.
 * Every text that is not a literal here is escaped.
 */
import type { Context } from 'koa'
import { pageStyle, type PageStyle } from './page-style.js'
import type { UiConfig } from '../config/ui.js'

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** What every page needs besides its own content: the branding and the stylesheet that goes with it. */
export interface PageUi {
  ui: UiConfig
  style: PageStyle
  /** Absolute URL of the served logo (on the public URL, so an error page relayed by a proxy finds it too). */
  logoUrl?: string
}

const DEFAULT_UI: PageUi = { ui: {}, style: pageStyle(undefined) }
const cache = new WeakMap<UiConfig, PageUi>()

/** The PageUi of a config version, built once. */
export function pageUi(ui: UiConfig | undefined, publicUrl?: URL): PageUi {
  if (!ui) return DEFAULT_UI
  let hit = cache.get(ui)
  if (!hit) {
    hit = {
      ui,
      style: pageStyle(ui.accent, publicUrl),
      ...(ui.logo && publicUrl ? { logoUrl: new URL('/oauth2/static/logo', publicUrl).href } : {}),
    }
    cache.set(ui, hit)
  }
  return hit
}

function brand(p: PageUi): string {
  const logo = p.logoUrl ? `<img class="logo" src="${escapeHtml(p.logoUrl)}" alt="${p.ui.title ? '' : 'Logo'}">` : ''
  const title = p.ui.title ? `<span class="brand-title">${escapeHtml(p.ui.title)}</span>` : ''
  return logo || title ? `<header class="brand">${logo}${title}</header>\n` : ''
}

export function page(p: PageUi, title: string, body: string): string {
  const fullTitle = p.ui.title ? `${title} · ${p.ui.title}` : title
  const footer = p.ui.footer ? `\n<footer>${escapeHtml(p.ui.footer)}</footer>` : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(fullTitle)}</title>
<style>${p.style.css}</style>
</head>
<body>
<main>
${brand(p)}${body}
</main>${footer}
</body>
</html>
`
}

/** Sends a page with the headers every page gets: strict CSP, not frameable, not sniffed, not cached. */
export function sendPage(ctx: Context, p: PageUi, html: string, status = 200): void {
  ctx.status = status
  ctx.type = 'html'
  for (const [name, value] of p.style.headers) ctx.set(name, value)
  ctx.body = html
}

export interface ProviderButton {
  id: string
  label: string
  href: string
}

export function signInPage(p: PageUi, buttons: readonly ProviderButton[]): string {
  const items = buttons
    .map((b) => `  <li><a class="button" href="${escapeHtml(b.href)}" id="provider-${escapeHtml(b.id)}">Sign in with ${escapeHtml(b.label)}</a></li>`)
    .join('\n')
  return page(
    p,
    'Sign in',
    `<h1 id="title">Sign in</h1>
<p>Choose how you want to sign in to continue.</p>
<nav aria-labelledby="title">
<ul>
${items}
</ul>
</nav>`,
  )
}

/** A way on from an error page, e.g. "Sign in again" after a failed login. */
export interface PageAction {
  href: string
  label: string
}

export function messagePage(p: PageUi, title: string, message: string, requestId?: string, action?: PageAction): string {
  const button = action ? `\n<a class="button" id="action" href="${escapeHtml(action.href)}">${escapeHtml(action.label)}</a>` : ''
  const meta = requestId ? `\n<p class="meta">Request id: <code>${escapeHtml(requestId)}</code></p>` : ''
  return page(p, title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>${button}${meta}`)
}

/** Asks before signing out: the button POSTs the form back; nothing else on the page acts. */
export function signOutConfirmPage(p: PageUi, action: string, rd: string | undefined, token: string): string {
  return page(
    p,
    'Sign out?',
    `<h1>Sign out?</h1>
<p>This request to sign you out did not come from this site. Sign out only if you meant to.</p>
${signOutForm(action, token, rd, 'sign-out', 'Sign out', 'button', true)}
<p class="meta">To stay signed in, close this page.</p>`,
  )
}

/** A POST form to sign-out (a form, not a link: a link would be a cross-site GET the next time). */
function signOutForm(action: string, token: string, rd: string | undefined, id: string, label: string, cls: string, autofocus = false): string {
  const rdField = rd ? `\n<input type="hidden" name="rd" value="${escapeHtml(rd)}">` : ''
  return `<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">${rdField}
<button class="${cls}" type="submit" id="${id}"${autofocus ? ' autofocus' : ''}>${escapeHtml(label)}</button>
</form>`
}

export function signedOutPage(p: PageUi, signInHref: string): string {
  const where = p.ui.title ? ` of ${escapeHtml(p.ui.title)}` : ''
  return page(
    p,
    'Signed out',
    `<h1>You are signed out</h1>
<p>You have been signed out${where}. You can close this page, or sign in again.</p>
<a class="button" id="sign-in" href="${escapeHtml(signInHref)}">Sign in again</a>`,
  )
}

export interface ForbiddenView {
  /** Email or login of the account that was refused; undefined when the IdP refused before naming it. */
  who?: string
  signOutAction: string
  token: string
  /** Where "Use another account" continues: sign-in with the IdP's account chooser, then the original URL. */
  switchRd: string
}

export function forbiddenPage(p: PageUi, v: ForbiddenView): string {
  const who = v.who
    ? `<p>You are signed in as <strong id="who">${escapeHtml(v.who)}</strong>, and this account is not allowed here.</p>`
    : '<p>The account you signed in with is not allowed here.</p>'
  return page(
    p,
    'Access denied',
    `<h1>Access denied</h1>
${who}
<p>Ask an administrator for access, or continue with another account.</p>
<div class="actions">
${signOutForm(v.signOutAction, v.token, v.switchRd, 'switch-account', 'Use another account', 'button')}
${signOutForm(v.signOutAction, v.token, undefined, 'sign-out', 'Sign out', 'button secondary')}
</div>`,
  )
}
