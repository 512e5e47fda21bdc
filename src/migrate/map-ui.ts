/**
 * oauth2-proxy's page options → `ui.*`, and the sign-out difference. oauth2-proxy's banner and footer
 * take HTML ("-" hides them); Gatehouse's `ui.title` and `ui.footer` are plain text, so HTML is reported,
 * never copied. The logo must be a file Gatehouse serves itself: its CSP allows no other origin.
 */
import type { MigrateContext } from './context.js'

type Obj = Record<string, unknown>

const HTML = /<[a-zA-Z/!]|&[a-zA-Z#][a-zA-Z0-9]*;/

/** banner → ui.title, footer → ui.footer: plain text within `max` characters, or a reason. */
function text(ctx: MigrateContext, ui: Obj, key: string, target: 'title' | 'footer', max: number): void {
  const v = ctx.str(key)?.trim()
  if (v === undefined) return
  if (v === '' || v === '-') return ctx.line(key, 'not-needed', undefined, `"-" hides it in oauth2-proxy; Gatehouse shows no ${target} unless ui.${target} is set`)
  if (HTML.test(v)) return ctx.line(key, 'unsupported', `ui.${target}`, `it holds HTML; ui.${target} is plain text (HTML would show as text): write the text by hand`)
  if (v.length > max) return ctx.line(key, 'unsupported', `ui.${target}`, `${v.length} characters; ui.${target} takes at most ${max}: shorten it by hand`)
  ui[target] = v
  ctx.line(key, target === 'title' ? 'difference' : 'mapped', `ui.${target}`, target === 'title' ? 'shown as the name at the top of every page and in its <title>, as plain text' : 'one line of plain text under every page')
}

function logo(ctx: MigrateContext, ui: Obj): void {
  const v = ctx.str('custom_sign_in_logo')?.trim()
  if (v === undefined) return
  if (v === '' || v === '-') return ctx.line('custom_sign_in_logo', 'not-needed', undefined, 'Gatehouse shows no logo unless ui.logo is set')
  if (/^[a-z][a-z0-9+.-]*:/i.test(v)) return ctx.line('custom_sign_in_logo', 'unsupported', 'ui.logo', 'a URL: the pages load no external asset; download the image and set ui.logo to the file')
  ui.logo = v
  ctx.line('custom_sign_in_logo', 'difference', 'ui.logo', 'a PNG, JPEG, GIF, WebP or SVG of at most 256 KiB, checked at config load; a relative path is read from the directory of gatehouse.yaml, not the working directory')
}

export function mapUi(ctx: MigrateContext, out: Obj, type: string): void {
  const ui: Obj = {}
  text(ctx, ui, 'banner', 'title', 80)
  text(ctx, ui, 'footer', 'footer', 300)
  logo(ctx, ui)
  ctx.line('custom_templates_dir', 'unsupported', 'ui', 'custom templates are not supported: brand the pages with ui.title, ui.logo, ui.footer and ui.accent')
  if (Object.keys(ui).length) out.ui = ui
  if (type !== 'oidc' && type !== 'keycloak') return
  const signedOut = `${typeof (out.server as Obj | undefined)?.publicUrl === 'string' ? ((out.server as Obj).publicUrl as string) : '<publicUrl>'}/oauth2/signed_out`
  const logout = `sign-out ends the IdP session through its end_session_endpoint with post_logout_redirect_uri ${signedOut}: register that one URI at the IdP (Keycloak: Valid post logout redirect URIs), then rd is followed from there`
  if (ctx.has('backend_logout_url')) ctx.line('backend_logout_url', 'difference', undefined, logout)
  else ctx.remark('sign-out', 'difference', undefined, `oauth2-proxy's /oauth2/sign_out cleared only its cookie (unless backend-logout-url); ${logout}`)
}
