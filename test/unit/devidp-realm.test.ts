import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as oidc from 'openid-client'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { DEMO_USERS, startRealm, type Realm } from '../../dev/devidp/realm.js'
import { CookieJarClient, loginAtRealm, parseForms } from '../fakes/browser.js'

const RP = 'http://127.0.0.1:1'
const CALLBACK = `${RP}/oauth2/callback`
const AFTER_LOGOUT = `${RP}/signed-out`

let realm: Realm
let backchannel: Server
const logoutTokens: string[] = []

async function discover(): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(realm.issuer), 'gatehouse', 'gatehouse-secret', undefined, {
    execute: [oidc.allowInsecureRequests],
  })
}

async function login(username: string, password: string, browser = new CookieJarClient()) {
  const config = await discover()
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  const authUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })
  const res = await loginAtRealm(browser, authUrl.href, username, password)
  return { config, verifier, state, nonce, res, browser }
}

beforeAll(async () => {
  backchannel = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token')
      if (token) logoutTokens.push(token)
      res.end()
    })
  })
  await new Promise<void>((r) => backchannel.listen(0, '127.0.0.1', r))
  const bcPort = (backchannel.address() as AddressInfo).port
  realm = await startRealm({
    port: 0,
    users: DEMO_USERS,
    clients: [
      {
        clientId: 'gatehouse',
        clientSecret: 'gatehouse-secret',
        redirectUris: [CALLBACK],
        postLogoutRedirectUris: [AFTER_LOGOUT],
        backchannelLogoutUri: `http://127.0.0.1:${bcPort}/backchannel`,
      },
    ],
  })
})

afterAll(async () => {
  await realm?.close()
  await new Promise((r) => backchannel?.close(r))
})

describe('dev identity provider realm', () => {
  it('serves Keycloak-shaped discovery', async () => {
    expect(realm.issuer).toBe(`http://127.0.0.1:${realm.port}/realms/test`)
    const res = await fetch(`${realm.issuer}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    const meta = (await res.json()) as Record<string, unknown>
    const p = `${realm.issuer}/protocol/openid-connect`
    expect(meta).toMatchObject({
      issuer: realm.issuer,
      authorization_endpoint: `${p}/auth`,
      token_endpoint: `${p}/token`,
      userinfo_endpoint: `${p}/userinfo`,
      jwks_uri: `${p}/certs`,
      end_session_endpoint: `${p}/logout`,
      introspection_endpoint: `${p}/token/introspect`,
      revocation_endpoint: `${p}/revoke`,
      authorization_response_iss_parameter_supported: true,
      code_challenge_methods_supported: ['S256'],
    })
    expect(meta.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    )
    const certs = (await (await fetch(`${p}/certs`)).json()) as JSONWebKeySet
    expect(certs.keys.map((k) => k.use).sort()).toEqual(['enc', 'sig'])
  })

  it('renders a Keycloak-like login form', async () => {
    const authUrl = oidc.buildAuthorizationUrl(await discover(), {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    })
    const page = await new CookieJarClient().follow(authUrl.href)
    expect(page.status).toBe(200)
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/interaction\/[^/]+$/)
    for (const snippet of ['id="kc-login"', 'id="username"', 'name="username"', 'id="password"']) {
      expect(page.body).toContain(snippet)
    }
    expect(page.body).toContain('<label for="password">')
  })

  it('requires PKCE', async () => {
    const authUrl = oidc.buildAuthorizationUrl(await discover(), {
      redirect_uri: CALLBACK,
      scope: 'openid',
      state: 's1',
    })
    const res = await new CookieJarClient().get(authUrl.href)
    expect(res.status).toBe(303)
    expect(new URL(res.location!).searchParams.get('error')).toBe('invalid_request')
  })

  it('runs authorization code + PKCE + nonce and issues Keycloak claims', async () => {
    const { config, verifier, state, nonce, res, browser } = await login('alice', 'alice')
    expect(res.status).toBe(303)
    const callback = new URL(res.location!)
    expect(callback.origin + callback.pathname).toBe(CALLBACK)
    expect(callback.searchParams.get('iss')).toBe(realm.issuer)
    expect(callback.searchParams.get('state')).toBe(state)

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    })
    const claims = tokens.claims()!
    expect(claims).toMatchObject({
      iss: realm.issuer,
      aud: 'gatehouse',
      sub: realm.subjectOf('alice'),
      nonce,
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      name: 'Alice Admin',
      groups: ['staff', 'sre'],
    })
    expect(claims.sid).toEqual(expect.any(String))
    expect((claims.realm_access as { roles: string[] }).roles).toEqual(
      expect.arrayContaining(['admin', 'default-roles-test']),
    )
    expect(tokens.refresh_token).toEqual(expect.any(String))

    const certs = await fetch(`${realm.issuer}/protocol/openid-connect/certs`)
    const jwks = createLocalJWKSet((await certs.json()) as JSONWebKeySet)
    const verified = await jwtVerify(tokens.id_token!, jwks, {
      issuer: realm.issuer,
      audience: 'gatehouse',
    })
    expect(verified.payload.groups).toEqual(['staff', 'sre'])

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)
    expect(info).toMatchObject({ preferred_username: 'alice', groups: ['staff', 'sre'] })

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.claims()?.sub).toBe(claims.sub)
    const basic = await oidc.discovery(
      new URL(realm.issuer),
      'gatehouse',
      {},
      oidc.ClientSecretBasic('gatehouse-secret'),
      { execute: [oidc.allowInsecureRequests] },
    )
    // Refresh tokens rotate: the new one works (with client_secret_basic too), the used one is refused.
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    const second = await oidc.refreshTokenGrant(basic, refreshed.refresh_token!)
    // A signing-key rotation keeps grants, as Keycloak's does: the refresh after it succeeds, signed by the new key.
    const oldKid = decodeProtectedHeader(second.id_token!).kid
    await realm.rotateKeys()
    const afterRotation = await oidc.refreshTokenGrant(basic, second.refresh_token!)
    expect(afterRotation.claims()?.sub).toBe(claims.sub)
    expect(decodeProtectedHeader(afterRotation.id_token!).kid).not.toBe(oldKid)
    // Replaying a used refresh token is refused and revokes the grant (reuse detection): its newest token dies too.
    await expect(oidc.refreshTokenGrant(basic, tokens.refresh_token!)).rejects.toThrow()
    await expect(oidc.refreshTokenGrant(basic, afterRotation.refresh_token!)).rejects.toThrow()

    // Realm cookies are scoped to the realm's paths, so an RP on the same host never sees them.
    expect(browser.cookies(`${realm.origin}/realms/test/protocol/openid-connect/auth`)).toContain(
      'KEYCLOAK_SESSION=',
    )
    expect(browser.cookies(`${RP}/oauth2/callback`)).toBe('')

    // Realm SSO: a second authorization in the same browser skips the form.
    const again = await login('ignored', 'ignored', browser)
    expect(again.res.status).toBe(303)
    expect(new URL(again.res.location!).searchParams.get('code')).toBeTruthy()
  })

  it('refuses a wrong password with the Keycloak message', async () => {
    const { res } = await login('bob', 'not-bob')
    expect(res.status).toBe(200)
    expect(res.body).toContain('Invalid username or password.')
    expect(parseForms(res.body, res.url)[0].fields.username).toBe('bob')
  })

  it('logs out via end_session with id_token_hint and back-channel', async () => {
    const { config, verifier, state, nonce, res, browser } = await login('bob', 'bob')
    const tokens = await oidc.authorizationCodeGrant(config, new URL(res.location!), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    })
    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: AFTER_LOGOUT,
      state: 'bye',
    })
    // GET logout -> self-submitting confirmation form -> POST logout/confirm -> 303 to the target.
    const out = await browser.follow(endSession.href, { stopAt: (u) => u.origin !== realm.origin })
    expect(out.status).toBe(303)
    expect(out.location).toBe(`${AFTER_LOGOUT}?state=bye`)

    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    const sid = tokens.claims()!.sid
    const logoutToken = logoutTokens.find((t) => JSON.parse(
      Buffer.from(t.split('.')[1], 'base64url').toString(),
    ).sid === sid)
    expect(logoutToken).toBeDefined()
    expect(decodeProtectedHeader(logoutToken!).typ).toBe('logout+jwt')

    // The realm session is gone: the next authorization shows the form again.
    const authUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    })
    const page = await browser.follow(authUrl.href, { stopAt: (u) => u.origin !== realm.origin })
    expect(page.status).toBe(200)
    expect(page.body).toContain('id="kc-login"')
  })

  it('signs bearer tokens with the published key and rotates keys', async () => {
    const certsUrl = `${realm.issuer}/protocol/openid-connect/certs`
    const token = await realm.signAccessToken({ sub: 'x', azp: 'gatehouse' })
    const jwks = (await (await fetch(certsUrl)).json()) as JSONWebKeySet
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: realm.issuer,
    })
    expect(payload).toMatchObject({ typ: 'Bearer', azp: 'gatehouse' })
    expect(protectedHeader.typ).toBe('JWT')

    // A token signed ahead with the upcoming key fails against today's key set and passes after the rotation.
    const early = await realm.signAccessToken({ sub: 'x' }, { upcomingKey: true })
    await expect(jwtVerify(early, createLocalJWKSet(jwks))).rejects.toThrow()
    await realm.rotateKeys()
    const rotated = (await (await fetch(certsUrl)).json()) as JSONWebKeySet
    const sigKids = rotated.keys.filter((k) => k.use === 'sig').map((k) => k.kid)
    expect(sigKids).toHaveLength(2)
    expect(sigKids).toContain(protectedHeader.kid)
    const newToken = await realm.signAccessToken({ sub: 'x' })
    expect(decodeProtectedHeader(newToken).kid).toBe(sigKids[0])
    expect(decodeProtectedHeader(early).kid).toBe(sigKids[0])
    await expect(jwtVerify(newToken, createLocalJWKSet(rotated))).resolves.toBeDefined()
    await expect(jwtVerify(early, createLocalJWKSet(rotated))).resolves.toBeDefined()

    const { res } = await login('alice', 'alice')
    expect(new URL(res.location!).searchParams.get('code')).toBeTruthy()
  })

  it('pause refuses connections; resume serves the same issuer and keys again', async () => {
    const certsUrl = `${realm.issuer}/protocol/openid-connect/certs`
    const before = await (await fetch(certsUrl)).json()
    await realm.pause()
    await expect(fetch(certsUrl)).rejects.toThrow()
    await realm.resume()
    expect(await (await fetch(certsUrl)).json()).toEqual(before)
    const { res } = await login('alice', 'alice')
    expect(new URL(res.location!).searchParams.get('code')).toBeTruthy()
  })

  it('renders the banner on a second realm in the same process', async () => {
    const demo = await startRealm({
      realm: 'demo',
      users: DEMO_USERS,
      clients: [{ clientId: 'gatehouse', clientSecret: 'x', redirectUris: [CALLBACK] }],
      banner: 'DEV IDP <not for production>',
    })
    try {
      expect(demo.issuer).toBe(`http://127.0.0.1:${demo.port}/realms/demo`)
      const config = await oidc.discovery(new URL(demo.issuer), 'gatehouse', 'x', undefined, {
        execute: [oidc.allowInsecureRequests],
      })
      const authUrl = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      })
      const page = await new CookieJarClient().follow(authUrl.href)
      expect(page.body).toContain('id="kc-banner"')
      expect(page.body).toContain('DEV IDP &lt;not for production&gt;')
    } finally {
      await demo.close()
    }
  })
})
