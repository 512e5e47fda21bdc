/**
 * Reading IdP claims into identity values. In the core, not a provider, because extra issuers
 * (src/tokens/issuer-claims.ts) map claims too; providers get these through src/plugin.ts.
 */

/** Reads a dotted claim path (`realm_access.roles`). */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let value: unknown = claims
  for (const part of path.split('.')) {
    if (!value || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

/**
 * Normalises a claim into a list of names. Non-strings are stringified; names containing a comma
 * are dropped, since they would forge extra entries once comma-joined into a header.
 */
export function claimList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]
  const out: string[] = []
  for (const item of items) {
    if (item === null || typeof item === 'object') continue
    const name = String(item).trim()
    if (name && !name.includes(',')) out.push(name)
  }
  return out
}

/** Returns a lower-cased email when it has exactly one `@` and non-empty parts, else undefined. */
export function normaliseEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const email = value.trim().toLowerCase()
  const at = email.indexOf('@')
  if (at <= 0 || at !== email.lastIndexOf('@') || at === email.length - 1) return undefined
  if (/[\s,]/.test(email)) return undefined
  return email
}
