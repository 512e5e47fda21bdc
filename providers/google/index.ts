import { ForbiddenError, SessionEndedError, defineProvider, type LoginResult, type Provider } from '../../src/plugin.js'
import { createOidcProvider } from '../oidc/provider.js'
import { parseWith } from '../shared/options.js'
import { createGroupChecker } from './groups.js'
import { googleOptionsSchema, type GoogleOptions } from './options.js'

const DEFAULT_TOKEN_URL = 'https://oauth2.googleapis.com/token'

/** `https://accounts.google.com` → `accounts.google.com`: the other spelling Google puts in `iss`. */
export const schemelessIssuer = (issuer: string) => issuer.replace(/^https?:\/\//, '').replace(/\/$/, '')

/** Google accounts and Workspace domains, over OIDC. */
export default defineProvider<GoogleOptions>({
  type: 'google',
  kind: 'oidc',
  displayName: 'Google',
  parseOptions: (raw) => parseWith(googleOptionsSchema, raw),
  create(id, options, ctx): Provider {
    const domains = options.hostedDomains.map((d) => d.toLowerCase())
    const base = createOidcProvider(id, { ...options, requireEmailVerified: true }, ctx, {
      type: 'google',
      displayName: 'Google',
      issuerAliases: [schemelessIssuer(options.issuer)],
      switchAccountPrompt: 'select_account',
      authParams: () => ({
        // `hd` only steers Google's account chooser; the claim is what gets checked below.
        ...(domains.length ? { hd: domains.length === 1 ? domains[0] : '*' } : {}),
        ...(options.refresh ? { access_type: 'offline', prompt: 'consent' } : {}),
      }),
      mapClaims(identity, claims) {
        if (claims.email_verified !== true || !identity.email) {
          throw new ForbiddenError(`${id}: Google account ${identity.subject} has no verified email`)
        }
        if (domains.length) {
          const hd = typeof claims.hd === 'string' ? claims.hd.toLowerCase() : undefined
          if (!hd || !domains.includes(hd)) {
            throw new ForbiddenError(`${id}: hosted domain ${hd ?? '(none: consumer account)'} is not allowed`)
          }
        }
        return { ...identity, groups: [] }
      },
    })
    if (!options.groups.length) return base
    const checker = createGroupChecker({
      key: options.serviceAccount!,
      adminEmail: options.adminEmail!,
      tokenUrl: options.directoryTokenUrl ?? options.serviceAccount!.token_uri ?? DEFAULT_TOKEN_URL,
      directoryBaseUrl: options.directoryBaseUrl,
      ttlSeconds: options.groupsCacheTtlSeconds,
      timeoutSeconds: options.timeoutSeconds,
      logger: ctx.logger,
      record: (operation, result, seconds) => ctx.metrics.idpRequest(id, operation, result, seconds),
    })
    const withGroups = async (result: LoginResult, refused: typeof ForbiddenError | typeof SessionEndedError): Promise<LoginResult> => {
      const groups = await checker.groupsOf(options.groups, result.identity.email!)
      if (options.requireGroup && !groups.length) {
        throw new refused(`${id}: ${result.identity.subject} is in none of the configured groups`)
      }
      return { ...result, identity: { ...result.identity, groups } }
    }
    return {
      ...base,
      callback: async (input) => withGroups(await base.callback(input), ForbiddenError),
      // Group membership is checked again at every refresh; leaving the group ends the session.
      refresh: async (session) => withGroups(await base.refresh!(session), SessionEndedError),
    }
  },
})
