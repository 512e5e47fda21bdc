/**
 * State that outlives a config reload: a provider's discovery result and key set, an extra
 * issuer's key set. Without it a reload during an IdP outage starts from nothing and refuses every
 * bearer token until the IdP is back. An entry is found again only under the same key, which names
 * the owner and every setting the state depends on, so a changed issuer or client gets fresh state.
 * Each runtime build takes what it needs; entries the new config did not take are dropped when
 * the build commits (the previous runtime keeps its own references while its requests finish).
 */

/** JSON with object keys sorted, so the same settings always give the same key. */
export function stableKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof URL)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

export interface CarryOverBuild {
  /** The state kept under `key` by the previous build, else `make()`'s. */
  take<T>(key: string, make: () => T): T
  /** The build is serving: only what it took is kept for the next one. */
  commit(): void
}

export interface CarryOver {
  begin(): CarryOverBuild
}

export function createCarryOver(): CarryOver {
  let kept = new Map<string, unknown>()
  return {
    begin() {
      const taken = new Map<string, unknown>()
      return {
        take<T>(key: string, make: () => T): T {
          if (!taken.has(key)) taken.set(key, kept.has(key) ? kept.get(key) : make())
          return taken.get(key) as T
        },
        commit() {
          kept = taken
        },
      }
    },
  }
}
