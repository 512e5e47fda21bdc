import type { IncomingHttpHeaders } from 'node:http'

/**
 * True for a top-level browser navigation: it asks for HTML, is not XHR and, where the browser
 * says so, is a navigation. Everything else (fetch, API clients, favicons) gets a 401, never a
 * login redirect or a state cookie.
 */
export function isBrowserNavigation(headers: IncomingHttpHeaders): boolean {
  const accept = headers.accept
  if (!accept || !accept.includes('text/html')) return false
  if ((headers['x-requested-with'] as string | undefined)?.toLowerCase() === 'xmlhttprequest') return false
  const mode = headers['sec-fetch-mode']
  return mode === undefined || mode === 'navigate'
}
