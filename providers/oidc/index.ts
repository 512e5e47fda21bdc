import { defineProvider } from '../../src/plugin.js'
import { parseWith } from '../shared/options.js'
import { oidcOptionsSchema, type OidcOptions } from './options.js'
import { createOidcProvider } from './provider.js'

/** Any OpenID Connect issuer with discovery. */
export default defineProvider<OidcOptions>({
  type: 'oidc',
  kind: 'oidc',
  displayName: 'Single sign-on',
  parseOptions: (raw) => parseWith(oidcOptionsSchema, raw),
  create: (id, options, ctx) => createOidcProvider(id, options, ctx, { type: 'oidc', displayName: 'Single sign-on' }),
})
