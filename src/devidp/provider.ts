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

// oidc-provider 9 warns "Unsupported runtime" on Node 20 at import time; it runs fine, so the
// one-off warning is filtered while the module is evaluated.
export function loadProvider(): Promise<ProviderCtor> {
  loaded ??= (async () => {
    const warn = console.warn
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return
      warn(...args)
    }
    try {
      const specifier: string = 'oidc-provider'
      const mod = (await import(specifier)) as { default: ProviderCtor }
      return mod.default
    } finally {
      console.warn = warn
    }
  })()
  return loaded
}
