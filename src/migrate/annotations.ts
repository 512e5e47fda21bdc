/** ingress-nginx `auth-*` annotations of the apps oauth2-proxy protected: what each becomes with Gatehouse. */

export interface AnnotationNote {
  at: string
  lines: string[]
  /** The auth-url's query (`allowed_groups=…`), as Gatehouse reads it: for `gatehouse explain --query`. */
  query?: string
  /** The auth-url's query as oauth2-proxy read it. */
  originalQuery?: string
}

const OWN = new Set(['X-Auth-Request-User', 'X-Auth-Request-Email', 'X-Auth-Request-Groups', 'X-Auth-Request-Preferred-Username', 'X-Auth-Request-Roles'].map((h) => h.toLowerCase()))

/** oauth2-proxy's keycloak-oidc puts roles among groups as `role:x`; Gatehouse has allowed_roles. */
function translateQuery(search: URLSearchParams, keycloak: boolean): { query: string; notes: string[] } {
  const out = new URLSearchParams()
  const notes: string[] = []
  for (const [k, v] of search) {
    if (k === 'allowed_groups' && keycloak) {
      const items = v.split(',')
      const roles = items.filter((g) => g.startsWith('role:')).map((g) => g.slice(5))
      const groups = items.filter((g) => !g.startsWith('role:'))
      if (roles.length && groups.length) notes.push(`allowed_groups mixes groups and role:x entries, which oauth2-proxy ORs; Gatehouse ANDs allowed_groups and allowed_roles: use a rule with require.any instead`)
      if (groups.length) out.append('allowed_groups', groups.join(','))
      if (roles.length) out.append('allowed_roles', roles.join(','))
    } else out.append(k, v)
  }
  return { query: out.toString().replace(/%2C/gi, ','), notes }
}

export function noteAnnotations(found: { at: string; values: Record<string, string> }[], keycloak: boolean): AnnotationNote[] {
  return found.map(({ at, values }) => {
    const lines: string[] = []
    let query: string | undefined
    let originalQuery: string | undefined
    const url = values['auth-url']
    if (url) {
      let parsed: URL | undefined
      try {
        parsed = new URL(url.replace(/\$[a-z_]+/g, 'x'))
      } catch {
        parsed = undefined
      }
      const t = parsed ? translateQuery(parsed.searchParams, keycloak) : { query: '', notes: [] }
      query = t.query || undefined
      originalQuery = parsed?.search.slice(1) || undefined
      lines.push(`- \`auth-url\`: point it at Gatehouse's \`/oauth2/auth\`${query ? ` with \`?${query}\`` : ''} (ingress-nginx sends X-Original-URL, which Gatehouse reads)`, ...t.notes.map((n) => `  - ${n}`))
    }
    const signin = values['auth-signin']
    if (signin) lines.push("- `auth-signin`: point it at Gatehouse's `/oauth2/start?rd=$escaped_request_uri` (or `/oauth2/sign_in?rd=…`): same paths as oauth2-proxy")
    const copied = (values['auth-response-headers'] ?? '').split(',').map((h) => h.trim()).filter(Boolean)
    if (copied.length) {
      const other = copied.filter((h) => !OWN.has(h.toLowerCase()))
      const needs = other.map((h) =>
        /^x-auth-request-access-token$/i.test(h) ? `${h} (set headers.passAccessToken: true)` : /^authorization$/i.test(h) ? `${h} (set headers.passAuthorization: true)` : `${h} (not sent: needs the identity-header mapping)`,
      )
      lines.push(`- \`auth-response-headers\`: ${other.length ? `the X-Auth-Request-* names work as they are; ${needs.join(', ')}` : 'unchanged, Gatehouse sends these'}`)
    }
    for (const k of Object.keys(values)) {
      if (!['auth-url', 'auth-signin', 'auth-response-headers'].includes(k)) lines.push(`- \`${k}\`: unchanged (ingress-nginx's own setting)`)
    }
    return { at, lines, query, originalQuery }
  })
}
