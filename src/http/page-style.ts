/**
 * The pages' one stylesheet, inline and allowed by its SHA-256 in the Content-Security-Policy:
 * no `'unsafe-inline'`, no second request, and it still works on an error page a proxy relays
 * from another origin. Light and dark by `prefers-color-scheme`; fluid down to 320 px.
 */
import { createHash } from 'node:crypto'

export interface PageStyle {
  css: string
  /** The whole Content-Security-Policy header value for a page. */
  csp: string
  /** Every header a page is sent with (the CSP among them), built once per style. */
  headers: ReadonlyArray<readonly [string, string]>
}

/** WCAG relative luminance of `#rrggbb`. */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

export const contrastRatio = (a: string, b: string): number => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}

/** Black or white, whichever reads better on `accent`. */
export const textOn = (accent: string): string => (contrastRatio(accent, '#ffffff') >= contrastRatio(accent, '#000000') ? '#ffffff' : '#000000')

const BASE = `
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #4f5869; --bg: #f4f6fa; --card: #fff; --line: #d5dae3; --accent: #2454d6; --on-accent: #fff; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e8ebf2; --muted: #aab3c4; --bg: #12151c; --card: #1c212b; --line: #343b49; --accent: #7d9dff; --on-accent: #0b1020; } }
  * { box-sizing: border-box; }
  html { -webkit-text-size-adjust: 100%; }
  body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 1rem;
         padding: 1rem; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { background: var(--card); width: 100%; max-width: 26rem; padding: clamp(1.25rem, 5vw, 2rem); border-radius: 12px;
         border-top: 4px solid var(--accent); box-shadow: 0 1px 3px rgba(0,0,0,.12), 0 8px 24px rgba(0,0,0,.08); overflow-wrap: anywhere; }
  .brand { display: flex; align-items: center; gap: .75rem; margin: 0 0 1.25rem; min-width: 0; }
  .logo { display: block; max-height: 40px; max-width: 100%; width: auto; height: auto; }
  .brand-title { font-weight: 700; font-size: 1.05rem; }
  h1 { font-size: 1.35rem; line-height: 1.3; margin: 0 0 .5rem; }
  p { margin: 0 0 1rem; color: var(--muted); }
  strong { color: var(--fg); }
  ul { list-style: none; margin: 1.5rem 0 0; padding: 0; display: grid; gap: .75rem; }
  form { margin: 0; }
  .actions { display: grid; gap: .75rem; margin-top: 1.5rem; }
  .button { display: block; width: 100%; padding: .8rem 1rem; border-radius: 8px; border: 2px solid var(--accent);
            background: var(--accent); color: var(--on-accent); font: inherit; font-weight: 600; text-align: center; text-decoration: none; cursor: pointer; }
  .button.secondary { background: transparent; color: var(--fg); border-color: var(--line); }
  .button:hover { filter: brightness(1.08); }
  .button:focus-visible { outline: 2px solid var(--fg); outline-offset: 2px; }
  .meta { font-size: .8rem; margin-top: 1.5rem; }
  code { font-size: .8rem; }
  .meta code { display: block; }
  footer { max-width: 26rem; text-align: center; font-size: .85rem; color: var(--muted); overflow-wrap: anywhere; }
`

/** The stylesheet for an accent colour (`#rrggbb`, or undefined for the default), its hash and the CSP. */
export function pageStyle(accent: string | undefined, publicUrl?: URL): PageStyle {
  // After the base rules, so it wins in light and dark mode alike.
  const override = accent ? `  :root { --accent: ${accent}; --on-accent: ${textOn(accent)}; }\n` : ''
  const css = BASE + override
  const hash = createHash('sha256').update(css).digest('base64')
  const images = publicUrl ? `'self' ${publicUrl.origin}` : "'self'"
  // No form-action: Chromium applies it to the redirects after a POST, and sign-out's 303 goes on to the IdP.
  const csp = `default-src 'none'; style-src 'sha256-${hash}'; img-src ${images}; frame-ancestors 'none'; base-uri 'none'`
  const headers = [
    ['Content-Security-Policy', csp],
    ['X-Frame-Options', 'DENY'],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cache-Control', 'no-store'],
  ] as const
  return { css, csp, headers }
}
