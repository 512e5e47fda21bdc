/** A tiny app for the demo: shows the identity headers Gatehouse sent it. */
import { createServer, type Server } from 'node:http'
import { escapeHtml, page, pageUi } from '../../src/http/pages.js'
import { IDENTITY_HEADERS } from '../../src/headers/identity.js'

export function startWhoami(port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const rows = IDENTITY_HEADERS.map((name) => {
      const value = req.headers[name.toLowerCase()]
      return `<tr><th scope="row"><code>${escapeHtml(name)}</code></th><td>${escapeHtml(String(value ?? '(absent)'))}</td></tr>`
    }).join('\n')
    const email = String(req.headers['x-auth-request-email'] ?? '')
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(
      page(
        pageUi(undefined),
        'whoami',
        `<h1>Hello${email ? ', ' + escapeHtml(email) : ''}</h1>
<p>This app has no login of its own. Gatehouse checked your session and sent these headers:</p>
<table>${rows}</table>
<p class="meta">Path: <code>${escapeHtml(req.url ?? '/')}</code> · <a href="/oauth2/sign_out">Sign out</a></p>`,
      ),
    )
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
