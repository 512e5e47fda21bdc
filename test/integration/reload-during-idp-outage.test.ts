import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import request from 'supertest'
import { buildConfig } from '../../src/config/load.js'
import { startStack, type Stack } from '../helpers/stack.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a config reload while the IdP is down', () => {
  let stack: Stack
  const PROVIDER = { jwksCooldown: '1s' }
  const auth = (token: string) => request(stack.url).get('/oauth2/auth').set('Authorization', `Bearer ${token}`)
  const token = (over: Record<string, unknown> = {}) =>
    stack.realm.signAccessToken({ sub: stack.realm.subjectOf('alice'), azp: 'gatehouse', preferred_username: 'alice', ...over })
  /** The stack's config with `provider` merged over the `corp` entry; `displayName` makes the file differ. */
  const reload = async (provider: Record<string, unknown>, displayName: string) =>
    stack.gatehouse.reload(
      await buildConfig({
        server: { listen: new URL(stack.url).host, publicUrl: stack.url },
        cookie: { secret: stack.secret },
        redirect: { allowedDomains: ['.example.test'] },
        providers: [
          {
            id: 'corp', type: 'keycloak', displayName, issuer: stack.realm.issuer, clientId: 'gatehouse', clientSecret: 'gatehouse-secret',
            allowInsecureRequests: true, bearer: PROVIDER, ...provider,
          },
        ],
        authorization: {},
        logging: { level: 'silent' },
      }),
    )
  /** Retries across the JWKS cooldown and failure back-off (a few seconds), never longer. */
  async function eventually(token: string, status: number, ms = 8000): Promise<number> {
    const end = Date.now() + ms
    let got = 0
    while ((got = (await auth(token)).status) !== status && Date.now() < end) await sleep(200)
    return got
  }

  beforeAll(async () => {
    stack = await startStack({ provider: { bearer: PROVIDER } })
  })
  afterAll(async () => {
    await stack.realm.resume().catch(() => {})
    await stack.close()
  })

  it('keeps trusting fetched keys, fails closed on unknown ones, and follows a rotation once the IdP is back', async () => {
    expect((await auth(await token({ jti: 'before' }))).status).toBe(202)
    await stack.realm.pause()
    const before = stack.gatehouse.runtime()
    await reload({}, 'Staff (reloaded)')
    expect(stack.gatehouse.runtime().providers.get('corp')).not.toBe(before.providers.get('corp'))

    // First seen after the reload, signed with a key fetched before it: verified without the IdP.
    expect((await auth(await token({ jti: 'after-reload' }))).status).toBe(202)
    expect((await request(stack.url).get('/ready')).status).toBe(200)

    await stack.realm.rotateKeys()
    const rotated = await token({ jti: 'rotated' })
    expect((await auth(rotated)).status).toBe(401)

    await stack.realm.resume()
    expect(await eventually(rotated, 202)).toBe(202)
  })

  it('gives a changed client fresh state: what the old one fetched is not trusted for it', async () => {
    expect((await auth(await token({ jti: 'warm' }))).status).toBe(202)
    await stack.realm.pause()
    await reload({ clientId: 'gatehouse-2' }, 'Staff (new client)')
    const forNewClient = await token({ azp: 'gatehouse-2', jti: 'new-client' })
    // Its keys were fetched for the old client only: with the IdP down, nothing vouches for them.
    expect((await auth(forNewClient)).status).toBe(401)
    await stack.realm.resume()
    expect(await eventually(forNewClient, 202)).toBe(202)
    // And back: the old client's settings are no longer remembered either, the IdP answers again.
    await reload({}, 'Staff')
    expect(await eventually(await token({ jti: 'old-client' }), 202)).toBe(202)
  })
})
