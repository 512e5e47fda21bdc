export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

const style = `
body{font-family:system-ui,sans-serif;background:#f0f0f0;margin:0;padding:40px 16px}
.card{max-width:380px;margin:0 auto;background:#fff;padding:24px 32px;border-top:4px solid #0066cc;
box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.4em;font-weight:400;margin:0 0 16px}
label{display:block;margin:12px 0 4px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:1em}
button{margin-top:20px;width:100%;padding:10px;font-size:1em;background:#0066cc;color:#fff;border:0;
cursor:pointer}
.error{background:#fdecea;color:#a30000;border:1px solid #f5c2c0;padding:8px;margin-bottom:12px}
.banner{max-width:640px;margin:0 auto 24px;background:#c00;color:#fff;border:4px solid #700;
padding:16px;font-size:1.2em;font-weight:700;text-align:center}
.realm{color:#666;font-size:.9em;text-transform:uppercase;letter-spacing:.1em}`

function page(title: string, content: string, banner?: string): string {
  const bannerHtml = banner
    ? `<div class="banner" id="kc-banner" role="alert">${escapeHtml(banner)}</div>`
    : ''
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
${bannerHtml}
<div class="card">
${content}
</div>
</body>
</html>`
}

export interface LoginView {
  realm: string
  action: string
  clientId?: string
  username?: string
  error?: string
  banner?: string
}

export function loginPage(v: LoginView): string {
  const error = v.error
    ? `<div class="error" id="input-error" role="alert">${escapeHtml(v.error)}</div>`
    : ''
  return page(
    `Sign in to ${v.realm}`,
    `<div class="realm">${escapeHtml(v.realm)}</div>
<h1 id="kc-page-title">Sign in to your account</h1>
${error}
<form id="kc-form-login" method="post" action="${escapeHtml(v.action)}">
<label for="username">Username or email</label>
<input id="username" name="username" type="text" autocomplete="username" autofocus
 value="${escapeHtml(v.username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" id="kc-login" name="login" value="Sign In">Sign In</button>
</form>`,
    v.banner,
  )
}

// Keycloak logs out without a prompt when a valid id_token_hint is given; oidc-provider always
// renders this page, so with a hint it submits itself (data-autosubmit for headless clients).
export function logoutPage(form: string, auto: boolean, banner?: string): string {
  const yes = '<input type="hidden" name="logout" value="yes"/></form>'
  const theForm = form
    .replace('</form>', yes)
    .replace('<form ', auto ? '<form data-autosubmit ' : '<form ')
  const body = auto
    ? `<h1>Signing out…</h1>${theForm}
<noscript><button type="submit" form="op.logoutForm">Continue</button></noscript>
<script>document.forms[0].submit()</script>`
    : `<h1>Do you want to log out?</h1>${theForm}
<button type="submit" id="kc-logout" form="op.logoutForm">Logout</button>`
  return page('Logging out', body, banner)
}

export function loggedOutPage(banner?: string): string {
  return page('You are logged out', '<h1 id="kc-page-title">You are logged out</h1>', banner)
}

export function errorPage(out: Record<string, unknown>, banner?: string): string {
  const rows = Object.entries(out)
    .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: ${escapeHtml(v)}</p>`)
    .join('\n')
  return page('We are sorry...', `<h1 id="kc-page-title">We are sorry...</h1>\n${rows}`, banner)
}
