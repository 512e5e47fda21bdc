import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Accounts } from './accounts.js'
import type { OidcProvider } from './provider.js'
import { errorPage, loginPage } from './views.js'

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'text/html; charset=utf-8')
  res.setHeader('Cache-Control', 'no-store')
  res.end(html)
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))))
    req.on('error', reject)
  })
}

// Keycloak has no consent screen by default: login implies granting whatever was asked for.
async function finish(p: OidcProvider, req: IncomingMessage, res: ServerResponse, sub: string) {
  const details = await p.interactionDetails(req, res)
  const clientId = details.params.client_id ?? ''
  const existing = details.grantId ? await p.Grant.find(details.grantId) : undefined
  const grant = existing ?? new p.Grant({ accountId: sub, clientId })
  grant.addOIDCScope(details.params.scope ?? 'openid')
  const missingClaims = details.prompt.details.missingOIDCClaims
  if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims as string[])
  const grantId = await grant.save()
  const result = { login: { accountId: sub }, consent: { grantId } }
  await p.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
}

export interface InteractionContext {
  provider: OidcProvider
  accounts: Accounts
  realm: string
  banner?: string
}

/** GET/POST /interaction/:uid — the realm's login form. */
export async function handleInteraction(
  c: InteractionContext,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<void> {
  const p = c.provider
  let details
  try {
    details = await p.interactionDetails(req, res)
  } catch {
    const error = 'Your login attempt timed out. Login will start from the beginning.'
    return sendHtml(res, 400, errorPage({ error }, c.banner))
  }
  if (details.uid !== uid) {
    return sendHtml(res, 400, errorPage({ error: 'Invalid request' }, c.banner))
  }

  const sessionSub = details.session?.accountId
  if (details.prompt.name !== 'login' && sessionSub) return finish(p, req, res, sessionSub)

  const action = `/interaction/${encodeURIComponent(uid)}`
  const view = { realm: c.realm, action, banner: c.banner }
  if (req.method === 'GET') return sendHtml(res, 200, loginPage(view))
  if (req.method !== 'POST') return sendHtml(res, 405, errorPage({ error: 'Method not allowed' }))

  const form = await readForm(req)
  const username = form.get('username') ?? ''
  const sub = c.accounts.authenticate(username, form.get('password') ?? '')
  if (!sub) {
    const error = 'Invalid username or password.'
    return sendHtml(res, 200, loginPage({ ...view, username, error }))
  }
  return finish(p, req, res, sub)
}
