// A complete third-party Gatehouse provider: GitLab (gitlab.com or self-managed) over OIDC.
// Name it in config as `type: ./plugins/gitlab.js` (relative to the config file) or publish it
// and write `type: gatehouse-gitlab`. Plain ESM JavaScript, so it loads with a bare `import()`.
import * as oidc from 'openid-client'

// Gatehouse shows its standard page for status 400, 403 or 502; the message only reaches the log.
const fail = (message, status) => Object.assign(new Error(message), { status })

export default {
  type: 'gitlab',
  kind: 'oidc',
  displayName: 'GitLab',

  /** Problems are `key: message`; Gatehouse prefixes `providers[i].` and stops start-up. */
  parseOptions(raw) {
    const { baseUrl = 'https://gitlab.com', clientId, clientSecret, groups = [], allowInsecureRequests = false, ...rest } = raw
    const errors = Object.keys(rest).map((k) => `${k}: unknown option`)
    if (typeof clientId !== 'string' || !clientId) errors.push('clientId: required')
    if (typeof clientSecret !== 'string' || !clientSecret) errors.push('clientSecret: required')
    if (!/^https?:\/\//.test(baseUrl)) errors.push('baseUrl: must be an absolute http(s) URL')
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) errors.push('groups: must be a list of group paths')
    return errors.length ? { ok: false, errors } : { ok: true, options: { baseUrl: baseUrl.replace(/\/+$/, ''), clientId, clientSecret, groups, allowInsecureRequests } }
  },

  create(id, options, ctx) {
    let config
    const discover = () => (config ??= oidc.discovery(new URL(options.baseUrl), options.clientId, options.clientSecret, undefined,
      { execute: options.allowInsecureRequests ? [oidc.allowInsecureRequests] : [] }).catch((err) => {
      config = undefined
      throw fail(`GitLab discovery failed: ${err.message}`, 502)
    }))
    return {
      id, type: 'gitlab', displayName: 'GitLab',
      ready: async () => { await discover() },
      async authorizationUrl({ redirectUri, state, nonce, codeVerifier }) {
        return oidc.buildAuthorizationUrl(await discover(), {
          redirect_uri: redirectUri, scope: 'openid email profile', state, nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
        })
      },
      async callback({ callbackUrl, state, nonce, codeVerifier }) {
        const tokens = await oidc.authorizationCodeGrant(await discover(), callbackUrl,
          { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true })
          .catch((err) => { throw fail(`GitLab code exchange failed: ${err.message}`, 400) })
        const c = tokens.claims()
        // GitLab's `groups_direct` claim lists full group paths (`acme/platform`)
        const groups = (c.groups_direct ?? c.groups ?? []).filter((g) => typeof g === 'string' && !g.includes(','))
        if (options.groups.length && !options.groups.some((g) => groups.includes(g))) throw fail(`${c.sub} is in none of ${id}'s groups`, 403)
        return {
          idToken: tokens.id_token,
          identity: {
            subject: String(c.sub), user: c.nickname ?? c.preferred_username ?? String(c.sub),
            email: c.email_verified === true ? String(c.email).toLowerCase() : undefined,
            preferredUsername: c.preferred_username, groups, roles: [], provider: id,
            expiresAt: c.exp ?? Math.floor(Date.now() / 1000) + 300,
          },
        }
      },
    }
  },
}
