import type { IncomingMessage, ServerResponse } from 'node:http'

// oidc-provider ships no type declarations; this is the slice the dev realm uses.
export interface OidcInteraction {
  uid: string
  prompt: { name: string; details: Record<string, unknown> }
  params: Record<string, string | undefined>
  session?: { accountId?: string }
  grantId?: string
}

export interface OidcGrant {
  addOIDCScope(scope: string): void
  addOIDCClaims(claims: string[]): void
  save(): Promise<string>
}

export interface OidcProvider {
  proxy: boolean
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    opts?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>
  Grant: {
    new (init: { accountId: string; clientId: string }): OidcGrant
    find(id: string): Promise<OidcGrant | undefined>
  }
  on(event: string, listener: (...args: unknown[]) => void): void
}

export type ProviderCtor = new (issuer: string, config: Record<string, unknown>) => OidcProvider

let loaded: Promise<ProviderCtor> | undefined

export type AdapterFactory = (model: string) => unknown

/**
 * oidc-provider's memory adapter, with one store for every provider a realm builds. oidc-provider 9 gives each new
 * Provider its own store by default, so a rebuilt provider (key rotation) would forget every grant, session and
 * refresh token; Keycloak keeps them across a rotation. The store is larger than oidc-provider's 1,000 entries so
 * a long soak's refreshes never evict a live grant.
 */
export async function sharedMemoryAdapter(maxSize = 200_000): Promise<AdapterFactory> {
  const adapterModule: string = 'oidc-provider/lib/adapters/memory_adapter.js'
  const lruModule: string = 'oidc-provider/lib/helpers/lru.js'
  type Ctor = new (...args: unknown[]) => unknown
  const [{ default: MemoryAdapter }, { default: LRU }] = (await Promise.all([import(adapterModule), import(lruModule)])) as [
    { default: Ctor },
    { default: Ctor },
  ]
  const store = new LRU({ maxSize })
  return (model) => new MemoryAdapter(model, store, 0)
}

// Expected notices for a development realm: oidc-provider 9 targets Node 22 but runs on 20, and
// the in-memory adapter is the point here (a realm passes its own, shared memory adapter; a bare Provider warns).
const EXPECTED = ['Unsupported runtime', 'development-only in-memory adapter']

export async function quietly<T>(fn: () => T | Promise<T>): Promise<T> {
  const warn = console.warn
  console.warn = (...args: unknown[]) => {
    const first = args[0]
    if (typeof first === 'string' && EXPECTED.some((e) => first.includes(e))) return
    warn(...args)
  }
  try {
    return await fn()
  } finally {
    console.warn = warn
  }
}

export function loadProvider(): Promise<ProviderCtor> {
  loaded ??= quietly(async () => {
    const specifier: string = 'oidc-provider'
    const mod = (await import(specifier)) as { default: ProviderCtor }
    return mod.default
  })
  return loaded
}
