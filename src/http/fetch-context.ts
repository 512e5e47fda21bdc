/**
 * Whether a request comes from Gatehouse's own origin (or a page the user trusts), for actions a
 * foreign site must not trigger: sign-out. Read in order, first answer wins:
 *  1. `Sec-Fetch-Site`: `same-origin` and `none` (typed in the address bar, a bookmark) are
 *     trusted, `cross-site` never is;
 *  2. otherwise (`same-site`, or an old client without it), the `Origin` header, or else the
 *     `Referer`'s origin, must be the public URL's origin or a host `redirect.allowedDomains` allows;
 *  3. no signal at all is not trusted (the safe answer costs one click on a confirmation page).
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { RedirectValidator } from '../request/redirect.js'

export function fromTrustedOrigin(headers: IncomingHttpHeaders, publicUrl: URL, validateRedirect: RedirectValidator): boolean {
  const site = headers['sec-fetch-site']
  if (site === 'same-origin' || site === 'none') return true
  if (site === 'cross-site') return false
  let origin = typeof headers.origin === 'string' ? headers.origin : undefined
  if (origin === undefined && typeof headers.referer === 'string') {
    try {
      origin = new URL(headers.referer).origin
    } catch {
      return false
    }
  }
  if (!origin || origin === 'null') return false
  if (origin === publicUrl.origin) return true
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return false
  }
  // Only a bare origin counts; validateRedirect then applies the allow-list and scheme rules.
  return parsed.origin === origin && validateRedirect(origin + '/') !== undefined
}
