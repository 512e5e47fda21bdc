/**
 * The few HTML pages Gatehouse renders: sign-in, errors, signed-out. Self-contained (inline CSS,
 * no scripts, no external assets) so they work behind any proxy and under strict CSPs.
 */

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

const STYLE = `
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6475; --bg: #f4f6fa; --card: #fff; --accent: #2454d6; --on-accent: #fff; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e8ebf2; --muted: #a3acbd; --bg: #12151c; --card: #1c212b; --accent: #7d9dff; --on-accent: #0b1020; } }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg);
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { background: var(--card); width: min(26rem, calc(100vw - 2rem)); padding: 2rem; border-radius: 12px;
         box-shadow: 0 1px 3px rgba(0,0,0,.12), 0 8px 24px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; margin: 0 0 .5rem; }
  p { margin: 0 0 1rem; color: var(--muted); }
  ul { list-style: none; margin: 1.5rem 0 0; padding: 0; display: grid; gap: .75rem; }
  .button { display: block; width: 100%; padding: .8rem 1rem; border-radius: 8px; border: 1px solid var(--accent);
            background: var(--accent); color: var(--on-accent); font: inherit; font-weight: 600; text-align: center; text-decoration: none; cursor: pointer; }
  .button:hover { filter: brightness(1.08); }
  .button:focus-visible { outline: 3px solid var(--fg); outline-offset: 2px; }
  .meta { font-size: .8rem; margin-top: 1.5rem; color: var(--muted); }
  code { font-size: .8rem; }
`

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`
}

export interface ProviderButton {
  id: string
  label: string
  href: string
}

export function signInPage(buttons: readonly ProviderButton[]): string {
  const items = buttons
    .map((b) => `  <li><a class="button" href="${escapeHtml(b.href)}" id="provider-${escapeHtml(b.id)}">Sign in with ${escapeHtml(b.label)}</a></li>`)
    .join('\n')
  return page(
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

export function messagePage(title: string, message: string, requestId?: string): string {
  const meta = requestId ? `\n<p class="meta">Request id: <code>${escapeHtml(requestId)}</code></p>` : ''
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>${meta}`)
}

/** Asks before signing out: the button POSTs the form back; nothing else on the page acts. */
export function signOutConfirmPage(action: string, rd: string | undefined, token: string): string {
  const rdField = rd ? `\n<input type="hidden" name="rd" value="${escapeHtml(rd)}">` : ''
  return page(
    'Sign out?',
    `<h1>Sign out?</h1>
<p>This request to sign you out did not come from this site. Sign out only if you meant to.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">${rdField}
<button class="button" type="submit" id="sign-out" autofocus>Sign out</button>
</form>
<p class="meta">To stay signed in, close this page.</p>`,
  )
}
