/**
 * The session cookie's name. Browsers enforce two name prefixes: a `__Host-` cookie must be
 * Secure, host-only and `Path=/`, so no sibling subdomain can plant or overwrite it; a `__Secure-`
 * cookie must be Secure. The default takes the strongest prefix the settings allow.
 */
import { isHostPrefixed, isSecurePrefixed } from '../session/cookies.js'

const BASE = '_gatehouse'

export interface CookieNameInput {
  name?: string
  domains: readonly string[]
  secure?: boolean
}

export function cookieName(cookie: CookieNameInput, publicUrl: URL): { name: string; problems: string[] } {
  const secure = cookie.secure ?? publicUrl.protocol === 'https:'
  const domain = cookie.domains.length > 0
  if (cookie.name === undefined) return { name: !secure ? BASE : domain ? `__Secure-${BASE}` : `__Host-${BASE}`, problems: [] }
  const problems: string[] = []
  const name = cookie.name
  if (isHostPrefixed(name)) {
    if (!secure) problems.push(`cookie.name: a "__Host-" cookie must be secure (an https publicUrl, cookie.secure not false)`)
    if (domain) problems.push(`cookie.name: a "__Host-" cookie cannot have a domain: remove cookie.domains or use the "__Secure-" prefix`)
  } else if (isSecurePrefixed(name) && !secure) {
    problems.push(`cookie.name: a "__Secure-" cookie must be secure (an https publicUrl, cookie.secure not false)`)
  }
  return { name, problems }
}
